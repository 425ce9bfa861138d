import re
from html import unescape

import pytest
from django.core import mail

from testkit import PASSWORD, ccfi_world, make_user

pytestmark = pytest.mark.django_db

LOGIN = "/flandre-interieure/connexion/"


def test_it_shows_the_seed_words(client):
    ccfi_world()
    body = unescape(client.get(LOGIN).content.decode())
    for words in (
        "Identifiant (adresse mail)",
        "Mot de passe",
        "Rester connecté",
        "Connexion",
        "Mot de passe oublié",
    ):
        assert words in body


def test_it_logs_in_and_lands_on_the_space(client):
    authority, account = ccfi_world()
    make_user("dupont59@gmail.com", accounts=[account])
    response = client.post(LOGIN, {"email": "DUPONT59@gmail.com", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/flandre-interieure/espace/"


def test_it_keeps_the_session_30_days_with_rester_connecte(client):
    _, account = ccfi_world()
    make_user("dupont59@gmail.com", accounts=[account])
    client.post(LOGIN, {"email": "dupont59@gmail.com", "password": PASSWORD, "remember": "on"})
    assert client.session.get_expiry_age() == 30 * 24 * 3600
    assert not client.session.get_expire_at_browser_close()


def test_it_ends_the_session_with_the_browser_otherwise(client):
    _, account = ccfi_world()
    make_user("dupont59@gmail.com", accounts=[account])
    client.post(LOGIN, {"email": "dupont59@gmail.com", "password": PASSWORD})
    assert client.session.get_expire_at_browser_close()


def test_it_gives_one_message_for_a_wrong_password_or_an_unknown_email(client):
    _, account = ccfi_world()
    make_user("dupont59@gmail.com", accounts=[account])
    wrong_password = unescape(
        client.post(
            LOGIN, {"email": "dupont59@gmail.com", "password": "Mauvais1@"}
        ).content.decode()
    )
    unknown = unescape(
        client.post(
            LOGIN, {"email": "inconnu@example.org", "password": "Mauvais1@"}
        ).content.decode()
    )
    assert "Identifiant ou mot de passe incorrect." in wrong_password
    assert "Identifiant ou mot de passe incorrect." in unknown
    assert 'value="dupont59@gmail.com"' in wrong_password


def test_it_throttles_20_wrong_logins_then_refuses_even_the_right_password(client):
    _, account = ccfi_world()
    make_user("dupont59@gmail.com", accounts=[account])
    for _ in range(20):
        response = client.post(LOGIN, {"email": "dupont59@gmail.com", "password": "Mauvais1@"})
        assert response.status_code == 200
    response = client.post(LOGIN, {"email": "dupont59@gmail.com", "password": PASSWORD})
    assert response.status_code == 200
    assert "Trop de tentatives" in unescape(response.content.decode())
    assert "_auth_user_id" not in client.session


def test_it_explains_a_space_waiting_for_its_link_and_resends_the_link(
    client, django_capture_on_commit_callbacks
):
    ccfi_world()
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
    response = client.post(LOGIN, {"email": "dupont59@gmail.com", "password": PASSWORD})
    assert "n'est pas encore activé" in unescape(response.content.decode())
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/flandre-interieure/activation/renvoyer/")
    assert len(mail.outbox) == 1 and "/activation/" in mail.outbox[0].body


def test_it_resends_nothing_without_the_right_password_first(
    client, django_capture_on_commit_callbacks
):
    ccfi_world()
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
    client.post(LOGIN, {"email": "dupont59@gmail.com", "password": "Mauvais1@"})
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/flandre-interieure/activation/renvoyer/", follow=True)
    assert "Si votre espace attend son activation" in unescape(response.content.decode())
    assert len(mail.outbox) == 0


def test_it_logs_out_with_a_post(client):
    _, account = ccfi_world()
    user = make_user("dupont59@gmail.com", accounts=[account])
    client.force_login(user)
    assert client.get("/flandre-interieure/deconnexion/").status_code == 405
    response = client.post("/flandre-interieure/deconnexion/")
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_it_sends_an_anonymous_visitor_of_the_space_to_the_login(client):
    ccfi_world()
    response = client.get("/flandre-interieure/espace/")
    assert response.status_code == 302 and response["Location"].startswith("/connexion/?next=")


def test_it_ignores_a_next_pointing_elsewhere(client):
    _, account = ccfi_world()
    make_user("dupont59@gmail.com", accounts=[account])
    response = client.post(
        LOGIN + "?next=https://evil.example.com/",
        {"email": "dupont59@gmail.com", "password": PASSWORD},
    )
    assert response["Location"] == "/flandre-interieure/espace/"


def test_it_resets_a_forgotten_password_without_revealing_known_addresses(
    client, django_capture_on_commit_callbacks
):
    _, account = ccfi_world()
    make_user("dupont59@gmail.com", accounts=[account])
    with django_capture_on_commit_callbacks(execute=True):
        known = client.post(
            "/flandre-interieure/mot-de-passe-oublie/", {"email": "dupont59@gmail.com"}, follow=True
        )
        unknown = client.post(
            "/flandre-interieure/mot-de-passe-oublie/", {"email": "x@example.org"}, follow=True
        )
    assert "Si un espace existe avec cette adresse" in unescape(known.content.decode())
    assert "Si un espace existe avec cette adresse" in unescape(unknown.content.decode())
    assert len(mail.outbox) == 1
    path = "/" + re.search(
        r"https?://[^/]+/(\S+/mot-de-passe-oublie/\S+/)", mail.outbox[0].body
    ).group(1)
    response = client.get(path, follow=True)
    form_url = response.redirect_chain[-1][0]
    weak = client.post(form_url, {"new_password1": "faible", "new_password2": "faible"})
    assert "new_password1" in unescape(weak.content.decode()) and weak.status_code == 200
    client.post(form_url, {"new_password1": "Nouveau2passe!", "new_password2": "Nouveau2passe!"})
    assert client.login(username="dupont59@gmail.com", password="Nouveau2passe!")
    # The link is used up.
    client.logout()
    again = client.get(path, follow=True)
    assert "n'est plus valide" in unescape(again.content.decode())


def test_it_changes_the_password_of_a_logged_in_person(client):
    _, account = ccfi_world()
    user = make_user("dupont59@gmail.com", accounts=[account])
    client.force_login(user)
    url = "/flandre-interieure/espace/mot-de-passe/"
    wrong = client.post(
        url,
        {
            "old_password": "Faux1@xxx",
            "new_password1": "Nouveau2passe!",
            "new_password2": "Nouveau2passe!",
        },
    )
    assert "id_old_password_error" in unescape(wrong.content.decode())
    response = client.post(
        url,
        {
            "old_password": PASSWORD,
            "new_password1": "Nouveau2passe!",
            "new_password2": "Nouveau2passe!",
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("Nouveau2passe!")
