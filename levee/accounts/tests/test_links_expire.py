import re
from html import unescape

import pytest
from django.core import mail

from levee.accounts.tests.test_opening_request import FORM, opening_data
from testkit import PASSWORD, ccfi_world, make_user, pilat_world

pytestmark = pytest.mark.django_db


def link_path(body: str, marker: str) -> str:
    return "/" + re.search(r"https?://[^/]+/(\S*" + marker + r"\S*/)", body).group(1)


def test_an_expired_activation_link_is_refused(
    client, settings, django_capture_on_commit_callbacks
):
    ccfi_world()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/flandre-interieure/creer-mon-espace/",
            {
                "email": "dupont59@gmail.com",
                "password": PASSWORD,
                "password_confirm": PASSWORD,
                "name": "DUPONT",
                "portal_key": "PSEMCSMJ",
            },
        )
    settings.PASSWORD_RESET_TIMEOUT = -1
    response = client.get(link_path(mail.outbox[0].body, "/activation/"))
    assert response.status_code == 400
    assert "a expiré" in unescape(response.content.decode())


def test_an_expired_reset_link_is_refused(client, settings, django_capture_on_commit_callbacks):
    _, account = ccfi_world()
    make_user("dupont59@gmail.com", accounts=[account])
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/flandre-interieure/mot-de-passe-oublie/", {"email": "dupont59@gmail.com"})
    settings.PASSWORD_RESET_TIMEOUT = -1
    response = client.get(link_path(mail.outbox[0].body, "/mot-de-passe-oublie/"), follow=True)
    assert "n'est plus valide" in unescape(response.content.decode())


def test_an_expired_confirmation_link_is_refused(
    client, settings, django_capture_on_commit_callbacks
):
    pilat_world()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(FORM, opening_data())
    settings.PASSWORD_RESET_TIMEOUT = -1
    response = client.get(link_path(mail.outbox[0].body, "/confirmer/"))
    assert response.status_code == 400
    assert "a expiré" in unescape(response.content.decode())
