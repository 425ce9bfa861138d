"""POST /Usager/Profil/Connexion: Ecocito's form fields, no CSRF token but no login posted
from another site, the same throttling as every login, no way around a second factor."""

from django_otp.plugins.otp_totp.models import TOTPDevice

from levee.twofactor.models import SpaceSecondFactor

from .conftest import PASSWORD

LOGIN = "/Usager/Profil/Connexion"
ERRORS = '<div class="validation-summary-errors"><ul><li>'


def post(client, password=PASSWORD, slug="", **headers):
    return client.post(
        f"{slug}{LOGIN}",
        {"Identifiant": "dupont59@gmail.com", "MotDePasse": password, "MaintenirConnexion": "true"},
        headers=headers,
    )


def test_it_logs_in_without_a_csrf_token_and_sets_the_session_cookie(world):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = post(client)
    assert response.status_code == 200
    assert ERRORS not in response.content.decode()
    assert response.cookies["sessionid"].value
    assert client.session.get_expiry_age() > 24 * 3600  # « MaintenirConnexion »
    assert client.get("/Usager/Collecte/GetCollecte").json()["totalCount"] == 5


def test_it_logs_in_under_an_authoritys_prefix(client, world):
    response = post(client, slug="/flandre-interieure")
    assert response.status_code == 200 and response.cookies["sessionid"].value


def test_a_wrong_password_answers_200_with_the_message_and_no_cookie(client, world):
    response = post(client, password="pas-le-bon")
    assert response.status_code == 200
    assert f"{ERRORS}Identifiant ou mot de passe incorrect.</li></ul></div>" in (
        response.content.decode()
    )
    assert not response.cookies


def test_missing_fields_are_refused_with_a_message(client, world):
    response = client.post(LOGIN, {"Identifiant": "dupont59@gmail.com"})
    assert ERRORS in response.content.decode() and not response.cookies


def test_a_login_posted_from_another_site_is_refused(client, world):
    response = post(client, Origin="https://evil.example")
    assert response.status_code == 403
    assert "vient d'un autre site" in response.content.decode()
    assert "sessionid" not in response.cookies
    assert (
        '<form action="/Usager/Profil/Connexion"'
        in client.get("/Usager/Collecte/GetCollecte").content.decode()
    )


def test_a_login_posted_from_this_site_is_accepted(client, world):
    response = post(client, Origin="http://testserver")
    assert response.status_code == 200 and response.cookies["sessionid"].value


def test_it_is_throttled_like_every_login(client, world):
    for _ in range(5):
        post(client, password="pas-le-bon")
    response = post(client)  # the right password, too soon
    text = response.content.decode()
    assert "Trop de tentatives" in text and ERRORS in text
    assert "sessionid" not in response.cookies


def test_a_login_with_a_second_factor_is_told_to_use_a_personal_token(client, world):
    SpaceSecondFactor.objects.create(user=world["user"])
    response = post(client)
    text = response.content.decode()
    assert ERRORS in text and "jeton d'accès personnel" in text and "« Mon profil »" in text
    assert "sessionid" not in response.cookies


def test_an_authenticator_app_alone_is_a_second_factor_too(client, world):
    TOTPDevice.objects.create(user=world["user"], confirmed=True)
    response = post(client)
    assert "jeton d'accès personnel" in response.content.decode()
    assert "sessionid" not in response.cookies


def test_a_protected_space_opened_without_its_code_reads_nothing_here(client, world):
    SpaceSecondFactor.objects.create(user=world["user"])
    # The portal's own login: the password is right, the code not given yet.
    client.post(
        "/flandre-interieure/connexion/",
        {"email": "dupont59@gmail.com", "password": PASSWORD},
    )
    assert LOGIN in client.get("/Usager/Collecte/GetCollecte").content.decode()


def test_logging_out_ends_the_session(client, world):
    post(client)
    response = client.get("/Usager/Profil/Deconnexion")
    assert response.status_code == 302 and response["Location"] == LOGIN
    assert (
        '<form action="/Usager/Profil/Connexion"'
        in client.get("/Usager/Collecte/GetCollecte").content.decode()
    )


def test_the_login_page_is_a_labelled_form_posting_to_ecocitos_path(client, world):
    for path in (LOGIN, f"/pilat-rhodanien{LOGIN}"):
        text = client.get(path).content.decode()
        assert '<form action="/Usager/Profil/Connexion" method="post"' in text
        for name in ("Identifiant", "MotDePasse", "MaintenirConnexion"):
            assert f'name="{name}" id="{name}"' in text and f'for="{name}"' in text
