"""Residents may turn the second factor on in « Mon profil »; their space then asks for a
code after the password. A login both resident and agent is asked only at /backoffice/."""

import pytest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from levee.accounts.models import AccountAccess
from levee.twofactor.models import SpaceSecondFactor
from testkit import PASSWORD, make_user

from .conftest import enrolled, next_code, text

pytestmark = pytest.mark.django_db

PROFILE = "/flandre-interieure/espace/mon-profil/"


@pytest.fixture
def resident(world):
    return make_user("pierre.dupont@example.org", accounts=[world.account])


def resident_login(client, email="pierre.dupont@example.org"):
    return client.post(
        "/flandre-interieure/connexion/", {"email": email, "password": PASSWORD}, follow=True
    )


def test_a_resident_turns_it_on_in_mon_profil_and_his_next_login_asks_for_a_code(client, resident):
    client.force_login(resident)
    page = text(client.get(PROFILE))
    assert "Activer la double authentification" in page

    response = client.get(f"/securite/mon-espace/activer/?next={PROFILE}")
    assert response.url.startswith("/securite/activer/")
    client.get(response.url)  # the QR code
    device = TOTPDevice.objects.get(user=resident)
    response = client.post(response.url, {"code": next_code(device)}, follow=True)
    assert "Vos codes de secours" in text(response)
    assert "La double authentification est activée." in text(response)
    # Enrolling for the space turned it on: no second confirmation after the codes.
    assert SpaceSecondFactor.objects.filter(user=resident).exists()
    response = client.get(f"/securite/mon-espace/activer/?next={PROFILE}")
    assert response.url == PROFILE
    assert "Désactiver la double authentification" in text(client.get(PROFILE))

    other = Client()  # a new session: password, then the code
    response = resident_login(other)
    assert response.redirect_chain[-1][0].startswith("/securite/code/?next=")
    assert other.get("/flandre-interieure/espace/").url.startswith("/securite/code/")
    assert other.get("/flandre-interieure/espace/mes-factures/").url.startswith("/securite/code/")
    response = other.post(
        "/securite/code/",
        {"code": next_code(device), "next": "/flandre-interieure/espace/"},
    )
    assert response.url == "/flandre-interieure/espace/"
    assert other.get("/flandre-interieure/espace/").status_code == 200


def test_a_resident_turns_it_off_with_a_current_code(client, resident):
    device = enrolled(resident)
    SpaceSecondFactor.objects.create(user=resident)
    client.force_login(resident)
    assert client.get(PROFILE).status_code == 302  # asked first
    client.post("/securite/code/", {"code": next_code(device)})
    assert "Désactiver la double authentification" in text(client.get(PROFILE))

    page = client.post("/securite/mon-espace/desactiver/", {"code": "000000", "next": PROFILE})
    assert page.status_code == 400
    assert SpaceSecondFactor.objects.filter(user=resident).exists()

    device.throttling_failure_count = 0
    device.save(update_fields=["throttling_failure_count"])
    response = client.post(
        "/securite/mon-espace/desactiver/", {"code": next_code(device), "next": PROFILE}
    )
    assert response.url == PROFILE
    assert not SpaceSecondFactor.objects.filter(user=resident).exists()
    assert not TOTPDevice.objects.filter(user=resident).exists()  # a resident only

    fresh = Client()
    assert resident_login(fresh).redirect_chain[-1][0] == "/flandre-interieure/espace/"


def test_a_resident_who_did_not_turn_it_on_is_never_asked(client, resident, required):
    response = resident_login(client)
    assert response.redirect_chain[-1][0] == "/flandre-interieure/espace/"
    assert client.get(PROFILE).status_code == 200


def test_a_login_both_resident_and_agent_is_asked_only_at_the_back_office(client, world, required):
    agent = world.desk.user
    AccountAccess.objects.create(user=agent, account=world.account, authority=world.ccfi)
    enrolled(agent)
    response = resident_login(client, email=agent.email)
    assert response.redirect_chain[-1][0] == "/flandre-interieure/espace/"
    assert client.get(PROFILE).status_code == 200
    assert client.get("/backoffice/").url.startswith("/securite/code/?next=")
