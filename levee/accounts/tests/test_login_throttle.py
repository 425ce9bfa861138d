"""Throttled logins: an attacker is slowed, the owner is not locked out for good, the page
says how long to wait, and behind a trusted proxy each client counts for itself."""

from html import unescape

import pytest

from levee.accounts.models import AccountAccess
from levee.lib.tests.clocks import clock_install
from testkit import PASSWORD, ccfi_world, make_account, make_user, pilat_world

pytestmark = pytest.mark.django_db

LOGIN = "/flandre-interieure/connexion/"
BACKOFFICE_LOGIN = "/backoffice/connexion/"


def text(response) -> str:
    return unescape(response.content.decode())


def login(client, email="dupont59@gmail.com", password=PASSWORD, **headers):
    return client.post(LOGIN, {"email": email, "password": password}, **headers)


@pytest.fixture
def dupont():
    _, account = ccfi_world()
    return make_user("dupont59@gmail.com", accounts=[account])


def test_the_right_password_works_once_the_delay_has_passed(client, monkeypatch, dupont):
    clock = clock_install(monkeypatch)
    for _ in range(5):
        assert "Identifiant ou mot de passe incorrect." in text(login(client, password="Faux1@xx"))
    refused = login(client)
    assert "Trop de tentatives. Par sécurité, réessayez dans 1 minute." in text(refused)
    assert "_auth_user_id" not in client.session
    clock.advance(seconds=60)
    assert login(client).status_code == 302
    assert client.session["_auth_user_id"] == str(dupont.pk)


def test_an_attacker_hammering_the_form_delays_the_owner_one_minute_only(
    client, monkeypatch, dupont
):
    # Once 20 wrong passwords locked the login for 15 minutes, as often as anyone wished.
    clock = clock_install(monkeypatch)
    for _ in range(30):
        login(client, password="Faux1@xx")
    clock.advance(seconds=60)
    assert login(client).status_code == 302


def test_the_page_announces_the_wait_that_is_left(client, monkeypatch, dupont):
    clock = clock_install(monkeypatch)
    for _ in range(5):
        login(client, password="Faux1@xx")
    for delay in (60, 120, 240):  # each failure after a wait doubles the next one
        clock.advance(seconds=delay)
        assert "incorrect" in text(login(client, password="Faux1@xx"))
    clock.advance(minutes=3)
    assert "réessayez dans 5 minutes." in text(login(client))
    clock.advance(minutes=4, seconds=30)
    assert "réessayez dans 1 minute." in text(login(client))
    clock.advance(seconds=30)
    assert login(client).status_code == 302


def test_the_back_office_login_announces_the_wait_that_is_left(client, monkeypatch):
    clock = clock_install(monkeypatch)
    pilat_world()
    for delay in (0, 0, 0, 0, 0, 60):
        clock.advance(seconds=delay)
        client.post(BACKOFFICE_LOGIN, {"email": "agent.pilat@example.org", "password": "Faux1@xxx"})
    clock.advance(seconds=30)
    response = client.post(
        BACKOFFICE_LOGIN, {"email": "agent.pilat@example.org", "password": PASSWORD}
    )
    assert "réessayez dans 2 minutes." in text(response)


def test_52_failed_logins_from_one_address_behind_the_proxy_do_not_lock_another_user(
    client, settings, dupont
):
    settings.BEHIND_PROXY = True
    for i in range(52):
        login(
            client,
            email=f"essai{i}@example.org",
            password="Faux1@xx",
            HTTP_X_FORWARDED_FOR="203.0.113.7",
        )
    attacker = login(client, HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert "Trop de tentatives" in text(attacker)
    assert login(client, HTTP_X_FORWARDED_FOR="198.51.100.2").status_code == 302


def test_what_the_client_writes_in_x_forwarded_for_does_not_escape_the_address_limit(
    client, settings, dupont
):
    settings.BEHIND_PROXY = True
    for i in range(50):
        login(
            client,
            email=f"essai{i}@example.org",
            password="Faux1@xx",
            HTTP_X_FORWARDED_FOR=f"10.9.{i}.1, 203.0.113.7",
        )
    response = login(client, HTTP_X_FORWARDED_FOR="10.200.0.1, 203.0.113.7")
    assert "Trop de tentatives" in text(response)


def test_without_a_trusted_proxy_x_forwarded_for_is_ignored(client, settings, dupont):
    settings.BEHIND_PROXY = False
    for i in range(50):
        login(
            client,
            email=f"essai{i}@example.org",
            password="Faux1@xx",
            HTTP_X_FORWARDED_FOR=f"10.9.{i}.1",
        )
    assert "Trop de tentatives" in text(login(client, HTTP_X_FORWARDED_FOR="198.51.100.2"))


def test_the_association_lock_still_holds_after_six_minutes_and_ends_after_an_hour(
    client, monkeypatch
):
    # « bloquée pendant une heure » once lasted five minutes on the database cache.
    clock = clock_install(monkeypatch)
    ccfi, dupont_ccfi = ccfi_world()
    pilat, pelussin = pilat_world()
    dupont_pilat = make_account(
        pilat, code="10042", portal_key="VZKRTQPM", commune=pelussin, postal_code="42410"
    )
    client.force_login(make_user("dupont59@gmail.com", accounts=[dupont_ccfi]))
    client.get("/flandre-interieure/espace/associer/", {"commune": "42168-42410"})
    key_page = "/flandre-interieure/espace/associer/cle/"
    for i in range(10):
        client.post(key_page, {"key": f"WRONG{i:03d}"})
    clock.advance(minutes=6)
    assert "bloquée pendant une heure" in text(client.post(key_page, {"key": "VZKRTQPM"}))
    clock.advance(minutes=53, seconds=59)
    assert "bloquée pendant une heure" in text(client.post(key_page, {"key": "VZKRTQPM"}))
    clock.advance(seconds=1)
    response = client.post(key_page, {"key": "VZKRTQPM"})
    assert response["Location"] == "/flandre-interieure/espace/associer/compte/"
    client.post("/flandre-interieure/espace/associer/compte/")
    assert AccountAccess.objects.filter(account=dupont_pilat).exists()


def test_the_failure_that_starts_a_wait_announces_it_at_once(client, monkeypatch, dupont):
    clock_install(monkeypatch)
    for _ in range(4):
        page = text(login(client, password="Faux1@xx"))
        assert "Trop de tentatives" not in page
    fifth = text(login(client, password="Faux1@xx"))
    assert "Identifiant ou mot de passe incorrect." in fifth
    assert "Trop de tentatives. Par sécurité, réessayez dans 1 minute." in fifth


def test_the_back_office_failure_that_starts_a_wait_announces_it(client, monkeypatch):
    clock_install(monkeypatch)
    pilat_world()
    for _ in range(5):
        response = client.post(
            BACKOFFICE_LOGIN, {"email": "agent.pilat@example.org", "password": "Faux1@xxx"}
        )
    assert "réessayez dans 1 minute." in text(response)
