import re
from html import unescape

import pytest
from django.contrib.auth.hashers import check_password
from django.core import mail

from levee.accounts.models import AccountAccess, PendingSignup, User
from levee.mailing.models import OutboxMessage
from testkit import PASSWORD, ccfi_world, make_user

pytestmark = pytest.mark.django_db


def signup_data(**overrides):
    data = {
        "email": "dupont59@gmail.com",
        "password": PASSWORD,
        "password_confirm": PASSWORD,
        "name": "DUPONT",
        "portal_key": "PSEMCSMJ",
    }
    data.update(overrides)
    return data


def test_it_stores_a_pending_sign_up_and_sends_the_activation_link_but_no_login_yet(
    client, django_capture_on_commit_callbacks
):
    authority, account = ccfi_world()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/flandre-interieure/creer-mon-espace/", signup_data())
    assert response.status_code == 302
    assert not User.objects.exists() and not AccountAccess.objects.exists()
    pending = PendingSignup.objects.get()
    assert (pending.email, pending.account, pending.authority) == (
        "dupont59@gmail.com",
        account,
        authority,
    )
    assert pending.password != PASSWORD and check_password(PASSWORD, pending.password)
    assert len(mail.outbox) == 1
    assert (
        "http://" in mail.outbox[0].body
        and "/flandre-interieure/activation/" in mail.outbox[0].body
    )
    assert "compte usager n° 00001" in mail.outbox[0].body


def test_it_activates_then_logs_in_on_the_space_with_the_seed_header(
    client, django_capture_on_commit_callbacks
):
    ccfi_world()
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/flandre-interieure/creer-mon-espace/", signup_data())
    link = re.search(r"https?://[^\s]+/activation/[^\s]+/", mail.outbox[0].body).group(0)
    path = (
        link.split("127.0.0.1:8000", 1)[-1]
        if "127.0.0.1:8000" in link
        else "/" + link.split("/", 3)[3]
    )
    response = client.get(path)
    assert response.status_code == 302
    assert User.objects.get(email="dupont59@gmail.com").is_active
    response = client.post(
        "/flandre-interieure/connexion/",
        {"email": "dupont59@gmail.com", "password": PASSWORD},
        follow=True,
    )
    body = unescape(response.content.decode())
    header = " ".join(re.sub(r"<[^>]+>", "", body).split())  # the header as read, tags aside
    assert (
        "PIERRE DUPONT - dupont59@gmail.com | Référence abonné : 00001 | Type de forfait : Bac | "
        "Souscrit le : 30 juin 2022 | Terminé le :" in header
    )
    assert "Adresse habitation : 29 ROUTE DE MÉTEREN 59270 BAILLEUL" in body
    assert "Adresse facturation : 29 ROUTE DE MÉTEREN 59270 BAILLEUL" in body
    # The link works once.
    assert client.get(path).status_code == 400


@pytest.mark.parametrize(
    "name, key",
    [("Dupont", "PSEMCSMJ"), ("dupont ", "psemcsmj"), ("DU PONT", " PSEM CSMJ ")],
)
def test_it_ignores_case_accents_and_spaces_in_the_references(client, name, key):
    ccfi_world()
    response = client.post(
        "/flandre-interieure/creer-mon-espace/", signup_data(name=name, portal_key=key)
    )
    assert response.status_code == 302


@pytest.mark.parametrize("name, key", [("MARTIN", "PSEMCSMJ"), ("DUPONT", "PSEMCSMX"), ("", "")])
def test_it_gives_one_generic_message_for_wrong_references(client, name, key):
    ccfi_world()
    response = client.post(
        "/flandre-interieure/creer-mon-espace/", signup_data(name=name, portal_key=key)
    )
    assert response.status_code == 200
    assert not User.objects.exists() and not PendingSignup.objects.exists()
    body = unescape(response.content.decode())
    if name:
        assert "Nous ne trouvons pas de compte avec ce nom et cette référence usager" in body
    assert 'value="dupont59@gmail.com"' in body  # what was typed is kept
    assert PASSWORD not in body  # passwords are not


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        (
            {"password": "motdepasse", "password_confirm": "motdepasse"},
            "password",
            "au moins une minuscule",
        ),
        ({"password": "Ab1@", "password_confirm": "Ab1@"}, "password", "8 caractères"),
        ({"password_confirm": "Mot2passe#"}, "password_confirm", "ne sont pas identiques"),
        ({"email": "pas-une-adresse"}, "email", "adresse de courriel valide"),
    ],
)
def test_it_rejects_bad_identifiers_next_to_the_field(client, overrides, field, message):
    ccfi_world()
    response = client.post("/flandre-interieure/creer-mon-espace/", signup_data(**overrides))
    assert response.status_code == 200
    body = unescape(response.content.decode())
    assert f'id="id_{field}_error"' in body
    assert message in body
    assert f'aria-describedby="id_{field}' in body
    assert not User.objects.exists()


def test_it_creates_nothing_for_an_email_already_used_and_tells_its_owner(client):
    ccfi_world()
    user = make_user("dupont59@gmail.com")
    response = client.post(
        "/flandre-interieure/creer-mon-espace/",
        signup_data(
            email="DUPONT59@gmail.com", password="Autre-2passe!", password_confirm="Autre-2passe!"
        ),
    )
    assert response.status_code == 302
    assert response["Location"] == "/flandre-interieure/creer-mon-espace/envoye/"
    assert User.objects.count() == 1 and not PendingSignup.objects.exists()
    user.refresh_from_db()
    assert user.check_password(PASSWORD) and not AccountAccess.objects.exists()
    assert OutboxMessage.objects.get().template == "signup_existing"


def test_it_tells_the_holder_of_an_existing_login_when_the_account_is_shared(
    client, django_capture_on_commit_callbacks
):
    authority, account = ccfi_world()
    make_user("conjoint@example.org", accounts=[account])
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/flandre-interieure/creer-mon-espace/", signup_data())
    activation = mail.outbox[0].body
    path = "/" + re.search(r"https?://[^/]+/(\S+/activation/\S+/)", activation).group(1)
    with django_capture_on_commit_callbacks(execute=True):
        client.get(path)
    shared = [m for m in mail.outbox if m.to == ["conjoint@example.org"]]
    assert len(shared) == 1
    assert "dupont59@gmail.com" in shared[0].body and "00001" in shared[0].body
    assert AccountAccess.objects.filter(account=account).count() == 2


@pytest.mark.parametrize(
    "path", ["/flandre-interieure/activation/xx/yy/", "/flandre-interieure/activation/MQ/abc-def/"]
)
def test_it_answers_a_forged_activation_link_with_a_clear_page(client, path):
    ccfi_world()
    response = client.get(path)
    assert response.status_code == 400
    assert "n'est plus valide" in unescape(response.content.decode())


def test_it_throttles_repeated_wrong_references(client):
    ccfi_world()
    for i in range(10):
        client.post(
            "/flandre-interieure/creer-mon-espace/", signup_data(portal_key=f"WRONG{i:03d}")
        )
    response = client.post("/flandre-interieure/creer-mon-espace/", signup_data())
    assert "Trop de tentatives" in unescape(response.content.decode())
    assert not User.objects.exists()


def test_it_stores_the_message_with_the_sign_up(client):
    ccfi_world()
    client.post("/flandre-interieure/creer-mon-espace/", signup_data())
    assert OutboxMessage.objects.filter(to="dupont59@gmail.com", template="activation").count() == 1


def test_it_rejects_a_post_without_csrf_token():
    from django.test import Client

    ccfi_world()
    response = Client(enforce_csrf_checks=True).post(
        "/flandre-interieure/creer-mon-espace/", signup_data()
    )
    assert response.status_code == 403
    assert not User.objects.exists()
