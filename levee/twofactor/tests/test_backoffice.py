"""The back office asks agents for their second factor: enrolment at the first login with a
QR code and a first code, recovery codes good once, a code at each new session."""

import time

import pytest
from django.test import Client
from django_otp.oath import TOTP, totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from testkit import PASSWORD

from .conftest import enrolled, next_code, text

pytestmark = pytest.mark.django_db


def log_in(client, email, target="/backoffice/demandes/"):
    return client.post(
        f"/backoffice/connexion/?next={target}", {"email": email, "password": PASSWORD}
    )


def test_it_enrols_an_agent_at_his_first_login_then_takes_him_where_he_was_going(
    client, world, required
):
    response = log_in(client, "accueil@flandre.example.org")
    assert response.status_code == 302
    assert response.url == "/securite/activer/?next=%2Fbackoffice%2Fdemandes%2F"
    assert client.get("/backoffice/").status_code == 302  # not in without the factor

    page = client.get(response.url)
    assert page.status_code == 200
    assert "<svg" in page.content.decode() and "Code QR à scanner" in text(page)
    device = TOTPDevice.objects.get(user=world.desk.user, confirmed=False)
    assert "otpauth://totp/" in device.config_url  # what the QR code holds

    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
    response = client.post(response.url, {"code": code, "next": "/backoffice/demandes/"})
    assert response.status_code == 302
    assert response.url.startswith("/securite/codes-de-secours/")
    device.refresh_from_db()
    assert device.confirmed

    codes_page = client.get(response.url)
    codes = list(StaticToken.objects.filter(device__user=world.desk.user))
    assert len(codes) == 10
    assert all(c.token in text(codes_page) for c in codes)
    assert "ils ne seront plus affichés" in text(codes_page)
    assert all(c.token not in text(client.get(response.url, follow=True)) for c in codes)

    assert client.get("/backoffice/demandes/").status_code == 200


def test_a_wrong_first_code_is_refused_next_to_the_field(client, world, required):
    client.force_login(world.desk.user)
    client.get("/securite/activer/")
    page = client.post("/securite/activer/", {"code": "000000"})
    assert page.status_code == 400
    assert "Ce code n'est pas le bon" in text(page)
    assert 'aria-invalid="true"' in page.content.decode()
    assert not TOTPDevice.objects.filter(user=world.desk.user, confirmed=True).exists()
    assert client.get("/backoffice/").status_code == 302


def test_a_new_session_is_asked_for_a_code_again(client, world, required):
    device = enrolled(world.desk.user)
    response = log_in(client, "accueil@flandre.example.org")
    assert response.url == "/securite/code/?next=%2Fbackoffice%2Fdemandes%2F"
    response = client.post(response.url, {"code": next_code(device), "next": "/backoffice/"})
    assert response.url == "/backoffice/"
    assert client.get("/backoffice/").status_code == 200

    other = Client()  # another browser: a new session
    response = log_in(other, "accueil@flandre.example.org")
    assert response.url.startswith("/securite/code/")
    assert other.get("/backoffice/").url.startswith("/securite/code/")


def test_a_wrong_code_is_refused_and_the_codes_are_throttled(client, world, required, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # only our own limit here
    device = enrolled(world.desk.user)
    client.force_login(world.desk.user)
    page = client.post("/securite/code/", {"code": "123456", "next": "/backoffice/"})
    assert page.status_code == 400
    assert "Ce code n'est pas le bon" in text(page)
    assert client.get("/backoffice/").status_code == 302
    for _ in range(4):
        client.post("/securite/code/", {"code": "123456"})
    page = client.post("/securite/code/", {"code": next_code(device)})
    assert "Trop de codes erronés" in text(page)
    assert client.get("/backoffice/").status_code == 302


def test_a_recovery_code_lets_in_once(client, world, required):
    from levee.twofactor.services import recovery_codes_new

    enrolled(world.desk.user)
    code = recovery_codes_new(user=world.desk.user)[0]
    client.force_login(world.desk.user)
    response = client.post("/securite/code/", {"code": code.upper(), "next": "/backoffice/"})
    assert response.url == "/backoffice/"
    assert "il vous en reste 9" in text(client.get("/backoffice/"))

    other = Client()
    other.force_login(world.desk.user)
    page = other.post("/securite/code/", {"code": code, "next": "/backoffice/"})
    assert page.status_code == 400
    assert other.get("/backoffice/").status_code == 302


def test_the_code_page_only_goes_back_to_this_site(client, world, required):
    device = enrolled(world.desk.user)
    client.force_login(world.desk.user)
    response = client.post(
        "/securite/code/", {"code": next_code(device), "next": "https://evil.example.org/"}
    )
    assert response.url == "/"


def test_the_demo_lets_agents_in_without_a_factor_and_says_production_requires_it(client, world):
    # TWO_FACTOR_REQUIRED is off, as in the embedded demo (the root conftest.py).
    response = log_in(client, "accueil@flandre.example.org")
    assert response.url == "/backoffice/demandes/"
    page = text(client.get("/backoffice/"))
    assert "en production elle est obligatoire pour les agents" in page
    assert "/securite/activer/?next=" in page


def test_an_agent_may_enrol_voluntarily_in_the_demo_and_the_notice_goes(client, world):
    client.force_login(world.desk.user)
    client.get("/securite/activer/")
    device = TOTPDevice.objects.get(user=world.desk.user)
    client.post("/securite/activer/", {"code": next_code(device)})
    assert "en production elle est obligatoire" not in text(client.get("/backoffice/"))


def test_a_right_code_just_after_a_wrong_one_is_accepted(client, world, required):
    device = enrolled(world.desk.user)
    client.force_login(world.desk.user)
    assert client.post("/securite/code/", {"code": "123456"}).status_code == 400
    response = client.post("/securite/code/", {"code": next_code(device), "next": "/backoffice/"})
    assert response.url == "/backoffice/"


def test_a_code_accepted_a_step_late_teaches_no_drift(client, world, required):
    """A code typed into a slow portal is checked a step after it was shown: accepted, but
    not learnt as the phone's drift, so the next prompt code is still accepted."""
    device = enrolled(world.desk.user)
    client.force_login(world.desk.user)
    late = TOTP(device.bin_key, device.step, device.t0, device.digits)
    late.time = time.time() - device.step  # the code shown 30 s ago
    response = client.post(
        "/securite/code/", {"code": f"{late.token():06d}", "next": "/backoffice/"}
    )
    assert response.url == "/backoffice/"
    device.refresh_from_db()
    assert device.drift == 0

    other = Client()
    other.force_login(world.desk.user)
    response = other.post("/securite/code/", {"code": next_code(device), "next": "/backoffice/"})
    assert response.url == "/backoffice/"
