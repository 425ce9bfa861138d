"""The operator's /admin/: its login counts attempts like the others, asks for the second
factor, and moves or disappears with ADMIN_URL."""

import importlib

import pytest
from django.test import Client
from django.urls import clear_url_caches

from testkit import PASSWORD

from .conftest import enrolled, next_code, text

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/?next=/admin/"


def admin_login(client, password, email="operateur@example.org"):
    return client.post(LOGIN, {"username": email, "password": password, "next": "/admin/"})


def test_fifteen_wrong_admin_passwords_lock_further_attempts_even_the_right_one(world):
    client = Client()
    for _ in range(15):
        page = admin_login(client, "mauvais-mot-de-passe")
        assert page.status_code == 200  # the form again, never a 500
    page = admin_login(client, PASSWORD)
    assert "Trop de tentatives" in text(page)
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302


def test_the_right_admin_password_lets_the_operator_in_when_no_factor_is_required(world):
    client = Client()
    assert admin_login(client, PASSWORD).url == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_an_agent_who_is_not_staff_cannot_log_in_to_the_admin(world):
    client = Client()
    page = admin_login(client, PASSWORD, email="admin@flandre.example.org")
    assert page.status_code == 200
    assert client.get("/admin/").status_code == 302


def test_the_admin_asks_the_operator_for_his_second_factor(world, required):
    client = Client()
    response = admin_login(client, PASSWORD)
    assert response.url == "/admin/"
    response = client.get("/admin/")
    assert response.url == "/securite/activer/?next=%2Fadmin%2F"
    assert client.get("/admin/accounts/user/").url.startswith("/securite/activer/")

    device = enrolled(world.operator)
    assert client.get("/admin/").url == "/securite/code/?next=%2Fadmin%2F"
    response = client.post("/securite/code/", {"code": next_code(device), "next": "/admin/"})
    assert response.url == "/admin/"
    page = client.get("/admin/")
    assert page.status_code == 200
    assert "Opérateur de la plateforme" in text(page)


def test_the_admin_never_shows_a_device_secret(world):
    client = Client()
    client.force_login(world.operator)
    device = enrolled(world.operator)
    page = client.get(f"/admin/otp_totp/totpdevice/{device.pk}/change/")
    assert page.status_code == 200
    assert device.key not in page.content.decode()


@pytest.fixture
def urlconf_reloaded(settings):
    """levee.urls read again after a change of ADMIN_URL, and as it was afterwards."""
    import levee.urls

    def reload():
        clear_url_caches()
        importlib.reload(levee.urls)

    yield reload
    settings.ADMIN_URL = "admin/"
    reload()


def test_an_empty_admin_url_switches_the_admin_off(world, settings, urlconf_reloaded):
    settings.ADMIN_URL = ""
    urlconf_reloaded()
    client = Client()
    client.force_login(world.operator)
    assert client.get("/admin/").status_code == 404
    assert client.get("/admin/login/").status_code == 404


def test_the_admin_moves_with_admin_url(world, settings, urlconf_reloaded):
    settings.ADMIN_URL = "exploitation-4f2a/"
    urlconf_reloaded()
    client = Client()
    client.force_login(world.operator)
    assert client.get("/exploitation-4f2a/").status_code == 200
    assert client.get("/admin/").status_code == 404
