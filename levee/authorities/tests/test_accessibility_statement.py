"""« Déclaration d'accessibilité » (RGAA 4.1): one page per authority, rendered from the
project's audit (docs/accessibility/audit.toml), linked from the footer of every page type
with the state of compliance computed from the audit."""

import re

import pytest
from django.urls import Resolver404, resolve

from levee.agents.models import Agent
from levee.lib.accessibility import NONE, PARTIAL, TOTAL, accessibility_audit, audit_parse
from testkit import ccfi_world, make_authority, make_commune, make_user

pytestmark = pytest.mark.django_db

HEAD = 'referential = "RGAA 4.1"\ndate = 2026-12-02\ncriteria_total = 4\n'


def text(response) -> str:
    from html import unescape

    return " ".join(unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def footer(response) -> str:
    html = response.content.decode()
    return html[html.index('<footer class="site-footer"') :]


def test_the_state_is_computed_from_the_results_as_rgaa_says():
    full = audit_parse(HEAD + '[criteria]\n"1.1" = "C"\n"1.2" = "C"\n"2.1" = "NA"\n"3.1" = "C"\n')
    assert (full.state, full.rate) == (TOTAL, 100)
    missing = audit_parse(HEAD + '[criteria]\n"1.1" = "C"\n"1.2" = "C"\n')
    assert missing.state == PARTIAL  # not every criterion assessed
    half = audit_parse(HEAD + '[criteria]\n"1.1" = "C"\n"1.2" = "NC"\n"2.1" = "NA"\n"3.1" = "C"\n')
    assert (half.state, half.rate) == (PARTIAL, 66)
    low = audit_parse(HEAD + '[criteria]\n"1.1" = "C"\n"1.2" = "NC"\n"2.1" = "NC"\n"3.1" = "NC"\n')
    assert (low.state, low.rate) == (NONE, 25)
    assert audit_parse(HEAD).state == NONE
    with pytest.raises(ValueError):
        audit_parse(HEAD + '[criteria]\n"1.1" = "peut-être"\n')


def test_every_audited_page_is_a_page_of_the_portal():
    audit = accessibility_audit()
    assert audit.pages
    for page in audit.pages:
        try:
            resolve(page.url_for("flandre-interieure"))
        except Resolver404:
            pytest.fail(f"{page.name}: {page.path} is no page of the portal")
    for n in audit.non_conformities:
        assert audit.criteria[n.criterion] == "NC"
    assert sorted(audit.failed_criteria) == sorted(n.criterion for n in audit.non_conformities)


def test_the_statement_of_an_authority_names_it_and_follows_the_rgaa_model(client):
    authority, _ = ccfi_world()
    authority.contact_phone = "03 28 00 00 00"
    authority.address = "222 bis rue Nationale\n59190 Hazebrouck"
    authority.save(update_fields=["contact_phone", "address"])
    audit = accessibility_audit()
    page = text(client.get("/flandre-interieure/accessibilite/"))
    assert "Déclaration d'accessibilité" in page
    assert "Communauté de Communes Flandre Intérieure s'engage à rendre ses services" in page
    for section in (
        "État de conformité",
        "Résultats des tests",
        "Contenus non accessibles",
        "Établissement de cette déclaration",
        "Technologies utilisées pour la réalisation du portail",
        "Environnement de test",
        "Outils pour évaluer l'accessibilité",
        "Pages du portail ayant fait l'objet de la vérification de conformité",
        "Retour d'information et contact",
        "Voies de recours",
    ):
        assert section in page, section
    assert f"Ce portail est {audit.state} avec le référentiel général" in page
    assert f"révèle que {audit.rate} % des critères du RGAA 4.1 applicables sont respectés" in page
    assert "L'audit de conformité réalisé le 2 décembre 2026" in page
    assert "Envoyer un message : dechets@flandre-interieure.example.org" in page
    assert "Téléphone : 03 28 00 00 00" in page
    assert "222 bis rue Nationale" in page
    assert "Défenseur des droits" in page and "Libre réponse 71120" in page
    for page_audited in audit.pages:
        assert page_audited.name in page
    for n in audit.non_conformities:
        assert n.content in page and n.alternative in page


def test_each_authority_has_its_own_statement(client):
    ccfi_world()
    make_authority(
        slug="pilat",
        code="00420",
        name="Syndicat du Pilat",
        communes=[make_commune(insee="42100", name="Pélussin", postal_codes=["42410"])],
    )
    page = text(client.get("/pilat/accessibilite/"))
    assert "Syndicat du Pilat s'engage" in page
    assert "dechets@pilat.example.org" in page
    assert "Flandre" not in page
    assert client.get("/inconnue/accessibilite/").status_code == 404


def test_every_page_type_links_the_statement_in_its_footer(client):
    authority, account = ccfi_world()
    state = accessibility_audit().state
    link = f'<a href="/flandre-interieure/accessibilite/">Accessibilité : {state}</a>'
    platform_link = f'<a href="/accessibilite/">Accessibilité : {state}</a>'
    assert platform_link in footer(client.get("/"))
    assert platform_link in footer(client.get("/nulle-part/page/"))  # the 404 page
    for url in ("/flandre-interieure/", "/flandre-interieure/connexion/"):
        assert link in footer(client.get(url)), url
    user = make_user("dupont59@gmail.com", accounts=[account])
    Agent.objects.create(authority=authority, user=user)
    client.force_login(user)
    for url in (
        "/flandre-interieure/espace/",
        "/flandre-interieure/espace/mes-factures/",
        "/backoffice/",
        "/backoffice/comptes/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert link in footer(response), url
    response = client.get("/accessibilite/")
    assert "Les collectivités qui utilisent Levée s'engagent" in text(response)
    assert "contactez votre collectivité" in text(response)
