"""The password rules refuse guessable passwords: common ones, and those too close to the
login's email or name, on every form that sets one (sign-up, opening, reset, change)."""

from html import unescape

import pytest
from django.contrib.auth import password_validation

from levee.accounts.models import PendingSignup, User
from levee.accounts.tests.test_opening_request import FORM, opening_data
from levee.accounts.tests.test_signup import signup_data
from levee.demo.services import AGENT_CCFI, AGENT_PILAT, OPERATOR, RESIDENT
from testkit import PASSWORD, ccfi_world, make_user, pilat_world

pytestmark = pytest.mark.django_db

SIMILAR = "trop semblable au champ"


def text(response) -> str:
    return unescape(response.content.decode())


@pytest.mark.parametrize(
    "password, owner",
    [
        (PASSWORD, User(email="dupont59@gmail.com", first_name="PIERRE", last_name="DUPONT")),
        *[
            (
                login.password,
                User(email=login.email, first_name=login.first_name, last_name=login.last_name),
            )
            for login in (AGENT_CCFI, AGENT_PILAT, OPERATOR, RESIDENT)
        ],
    ],
)
def test_the_demo_passwords_are_still_accepted(password, owner):
    password_validation.validate_password(password, owner)


def test_the_sign_up_refuses_a_password_close_to_the_email(client):
    ccfi_world()
    response = client.post(
        "/flandre-interieure/creer-mon-espace/",
        signup_data(password="Dupont59@gmail", password_confirm="Dupont59@gmail"),
    )
    body = text(response)
    assert response.status_code == 200
    assert 'id="id_password_error"' in body and SIMILAR in body and "adresse email" in body
    assert not PendingSignup.objects.exists()


def test_the_sign_up_refuses_a_password_close_to_the_name(client):
    ccfi_world()
    response = client.post(
        "/flandre-interieure/creer-mon-espace/",
        signup_data(password="Dupont12!", password_confirm="Dupont12!"),
    )
    assert SIMILAR in text(response) and not PendingSignup.objects.exists()


def test_the_opening_refuses_a_password_close_to_the_name(client):
    from levee.accounts.models import AccountOpeningRequest

    pilat_world()
    response = client.post(
        FORM,
        opening_data(last_name="Martinez", password="Martinez1!", password_confirm="Martinez1!"),
    )
    body = text(response)
    assert 'id="id_password_error"' in body and SIMILAR in body
    assert not AccountOpeningRequest.objects.exists()


def test_the_opening_still_refuses_a_common_password(client):
    from levee.accounts.models import AccountOpeningRequest

    pilat_world()
    body = text(
        client.post(FORM, opening_data(password="Password1!", password_confirm="Password1!"))
    )
    assert 'id="id_password_error"' in body and "trop courant" in body
    assert not AccountOpeningRequest.objects.exists()


def test_the_password_change_refuses_a_password_close_to_the_email(client):
    _, account = ccfi_world()
    user = make_user("dupont59@gmail.com", accounts=[account])
    client.force_login(user)
    response = client.post(
        "/flandre-interieure/espace/mot-de-passe/",
        {
            "old_password": PASSWORD,
            "new_password1": "Dupont59@gmail",
            "new_password2": "Dupont59@gmail",
        },
    )
    assert response.status_code == 200 and SIMILAR in text(response)
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_the_password_reset_refuses_a_password_close_to_the_email(client):
    from django.contrib.auth.tokens import default_token_generator

    from levee.accounts.tokens import encode_uid

    _, account = ccfi_world()
    user = make_user("dupont59@gmail.com", accounts=[account])
    url = (
        f"/flandre-interieure/mot-de-passe-oublie/{encode_uid(user.pk)}/"
        f"{default_token_generator.make_token(user)}/"
    )
    form_url = client.get(url, follow=True).redirect_chain[-1][0]
    response = client.post(
        form_url, {"new_password1": "Dupont59@gmail", "new_password2": "Dupont59@gmail"}
    )
    assert response.status_code == 200 and SIMILAR in text(response)
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
