from html import unescape

import pytest
from django.core.exceptions import ValidationError

from testkit import ccfi_world, pilat_world

pytestmark = pytest.mark.django_db


def text(response):
    return unescape(response.content.decode())


def test_the_home_shows_the_seed_words_and_the_contact(client):
    ccfi_world()
    page = text(client.get("/flandre-interieure/"))
    for words in (
        "Communauté de Communes Flandre Intérieure",
        "Gestion des déchets",
        "Mes démarches en ligne",
        "Contact : ",
        "dechets@flandre-interieure.example.org",
        "Je crée mon espace",
        "J'accède à mon espace",
    ):
        assert words in page
    assert "Ouvrir un compte maintenant" not in page
    assert '<a class="button" href="/flandre-interieure/j-emmenage/">J\'emménage</a>' in page
    assert '<a href="/flandre-interieure/calendriers/">Calendriers des collectes</a>' in page


def test_the_home_offers_the_opening_form_where_the_authority_does(client):
    pilat_world()
    assert "Ouvrir un compte maintenant" in text(client.get("/pilat-rhodanien/"))


def test_an_unknown_or_inactive_authority_is_a_404(client):
    authority, _ = ccfi_world()
    assert client.get("/nulle-part/").status_code == 404
    authority.is_active = False
    authority.save(update_fields=["is_active"])
    assert client.get("/flandre-interieure/").status_code == 404


def test_the_legal_pages_show_the_authority_texts(client):
    authority, _ = ccfi_world()
    authority.siret = "20004094700190"
    authority.payment_recipient = "Service de gestion comptable d'Hazebrouck"
    authority.dpo_contact = "dpo@cc-flandreinterieure.fr"
    authority.save(update_fields=["siret", "payment_recipient", "dpo_contact"])
    legal = text(client.get("/flandre-interieure/mentions-legales/"))
    assert (
        "SIRET : 200 040 947 00190" in legal
        and "Service de gestion comptable d'Hazebrouck" in legal
    )
    data = text(client.get("/flandre-interieure/donnees-personnelles/"))
    assert "dpo@cc-flandreinterieure.fr" in data and "Durées de conservation" in data
    assert "Le service en ligne permet" in text(client.get("/flandre-interieure/cgu/"))


def test_a_colour_too_light_for_white_text_is_refused():
    authority, _ = ccfi_world()
    authority.primary_color = "#99ccff"
    with pytest.raises(ValidationError) as error:
        authority.full_clean()
    assert "contraste" in str(error.value)


def test_the_admin_shows_the_contrast_error(admin_client):
    authority, _ = ccfi_world()
    response = admin_client.post(
        f"/admin/authorities/authority/{authority.pk}/change/",
        {
            "name": authority.name,
            "slug": authority.slug,
            "code": authority.code,
            "primary_color": "#ffff00",
            "contact_email": authority.contact_email,
            "cgu": "x",
            "personal_data": "x",
            "authoritycommune_set-TOTAL_FORMS": "0",
            "authoritycommune_set-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "contraste" in text(response)
    authority.refresh_from_db()
    assert authority.primary_color == "#1d4e89"
