"""« Jetons d'accès personnels » in « Mon profil »: create (shown once), list, revoke."""

import datetime
import re
from html import unescape

import pytest
from django.utils import timezone

from levee.tokens.models import PersonalAccessToken
from levee.tokens.services import token_authenticate, token_create
from testkit import ccfi_world, make_user

pytestmark = pytest.mark.django_db

PROFILE = "/flandre-interieure/espace/mon-profil/"
CREATE = PROFILE + "jetons/nouveau/"


def text(response) -> str:
    return unescape(re.sub(r"\s+", " ", response.content.decode()))


@pytest.fixture
def resident(client):
    _authority, account = ccfi_world()
    user = make_user("dupont59@gmail.com", accounts=[account])
    client.force_login(user)
    return user


def test_the_profile_offers_to_create_a_token(client, resident):
    page = text(client.get(PROFILE))
    assert "Jetons d'accès personnels" in page
    assert "Vous n'avez aucun jeton." in page
    assert 'href="/flandre-interieure/espace/mon-profil/jetons/nouveau/"' in page


def test_a_created_token_is_shown_once_then_listed_without_its_secret(client, resident):
    response = client.post(CREATE, {"name": "Domotique du salon", "expires_on": ""})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    page = text(response)
    secret = re.search(r'value="(levee_[^"]+)"', page).group(1)
    assert "Copiez-le maintenant" in page and "il ne sera plus jamais affiché" in page
    token = PersonalAccessToken.objects.get()
    assert token.user == resident and token.name == "Domotique du salon"
    assert token.expires_at is None
    profile = text(client.get(PROFILE))
    assert secret not in profile
    assert "Domotique du salon" in profile and token.prefix in profile
    assert "Jamais utilisé" in profile and "Sans expiration" in profile
    assert token_authenticate(secret).pk == token.pk


def test_the_last_use_and_the_expiry_are_listed(client, resident):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    client.post(CREATE, {"name": "Script", "expires_on": tomorrow.isoformat()})
    token = PersonalAccessToken.objects.get()
    assert timezone.localtime(token.expires_at).date() == tomorrow + datetime.timedelta(days=1)
    used = timezone.make_aware(datetime.datetime(2026, 3, 4, 10, 5))
    PersonalAccessToken.objects.filter(pk=token.pk).update(last_used_at=used)
    profile = text(client.get(PROFILE))
    assert "4 mars 2026 à 10:05" in profile
    assert f"Jusqu'au {tomorrow.day} " in profile


@pytest.mark.parametrize(
    "data, field, message",
    [
        ({"name": ""}, "name", "Donnez un nom à ce jeton."),
        ({"name": "   "}, "name", "Donnez un nom à ce jeton."),
        ({"name": "x" * 81}, "name", "Le nom compte au plus 80 caractères."),
        ({"name": "A", "expires_on": "2020-01-01"}, "expires_on", "Choisissez une date à venir"),
        ({"name": "A", "expires_on": "demain"}, "expires_on", "Saisissez une date valide"),
    ],
)
def test_bad_input_is_refused_next_to_its_field(client, resident, data, field, message):
    response = client.post(CREATE, data)
    assert response.status_code == 200
    page = response.content.decode()
    assert re.search(rf'id="id_{field}_error">[^<]*{re.escape(message)}', unescape(page))
    assert f'aria-describedby="id_{field}_helptext id_{field}_error"' in page
    assert not PersonalAccessToken.objects.exists()


def test_revoking_asks_for_confirmation_then_the_token_no_longer_works(client, resident):
    created = token_create(user=resident, name="Domotique")
    url = PROFILE + f"jetons/{created.token.pk}/revoquer/"
    confirm = text(client.get(url))
    assert "Révoquer le jeton « Domotique »" in confirm and "Révoquer ce jeton" in confirm
    assert token_authenticate(created.secret) is not None
    response = client.post(url)
    assert response.status_code == 302 and response["Location"] == PROFILE + "#jetons"
    assert token_authenticate(created.secret) is None
    assert "Domotique" not in text(client.get(PROFILE)).split("Jetons d'accès personnels")[1]
    assert client.get(url).status_code == 404


def test_one_cannot_revoke_the_token_of_another_login(client, resident):
    other = make_user("autre@example.org")
    created = token_create(user=other, name="Le sien")
    url = PROFILE + f"jetons/{created.token.pk}/revoquer/"
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    assert token_authenticate(created.secret) is not None


def test_the_pages_need_a_login(client, db):
    ccfi_world()
    response = client.get(CREATE)
    assert response.status_code == 302 and "connexion" in response["Location"].lower()
