import json
import time
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import mail
from joserfc.jwk import RSAKey

from levee.accounts.models import AccountAccess, PendingSignup, User
from levee.identity.models import IdentityLink, Provider, SignupIdentity
from testkit import PASSWORD, ccfi_world, make_user

from .conftest import provider_answer, through_provider
from .fake_provider import MARIE, PIERRE

pytestmark = pytest.mark.django_db

LOGIN = "/flandre-interieure/connexion/"
START = "/flandre-interieure/franceconnect/connexion/"
LINK = "/flandre-interieure/franceconnect/lier/"


def text(response) -> str:
    return unescape(response.content.decode())


@pytest.fixture
def marie():
    authority, account = ccfi_world()
    user = make_user("marie.martin@example.org", accounts=[account])
    return user


def linked(user, sub=MARIE["sub"]):
    return IdentityLink.objects.create(user=user, provider=Provider.FRANCECONNECT, subject=sub)


def test_the_login_page_offers_the_franceconnect_button_and_its_link(client, fake_fc):
    ccfi_world()
    page = text(client.get(LOGIN))
    assert "S'identifier avec" in page and "FranceConnect</span>" in page
    assert 'href="https://franceconnect.gouv.fr/"' in page
    assert "Qu'est-ce que FranceConnect ?" in page


def test_the_sign_up_page_offers_it_too(client, fake_fc):
    ccfi_world()
    assert "S'identifier avec" in text(client.get("/flandre-interieure/creer-mon-espace/"))


def test_the_button_is_absent_when_franceconnect_is_not_configured(client, settings):
    settings.IDENTITY_SIMULATION = False
    settings.FRANCECONNECT_CLIENT_ID = ""
    settings.FRANCECONNECT_ISSUER = ""
    ccfi_world()
    assert "FranceConnect" not in text(client.get(LOGIN))
    assert "FranceConnect" not in text(client.get("/flandre-interieure/creer-mon-espace/"))
    assert client.post(START).status_code == 404


def test_it_asks_for_the_code_flow_with_state_nonce_and_the_eidas_level(client, fake_fc):
    ccfi_world()
    response = client.post(START)
    query = {k: v[0] for k, v in parse_qs(urlsplit(response["Location"]).query).items()}
    assert query["response_type"] == "code"
    assert query["client_id"] == "levee-test-client"
    assert query["acr_values"] == "eidas1"
    assert query["scope"] == "openid given_name family_name email"
    assert query["redirect_uri"] == "http://testserver/franceconnect/retour/"
    assert len(query["state"]) >= 32 and len(query["nonce"]) >= 32
    assert query["state"] != query["nonce"]


def test_a_linked_identity_logs_straight_in(client, fake_fc, marie):
    link = linked(marie)
    response = through_provider(client, START)
    assert response.status_code == 302
    assert response["Location"] == "/flandre-interieure/espace/"
    assert client.session["_auth_user_id"] == str(marie.pk)
    link.refresh_from_db()
    assert link.last_login_at is not None
    assert fake_fc.token_requests[0]["client_secret"] == "levee-test-secret"


def test_an_unknown_identity_creates_and_links_nothing_even_with_a_known_email(
    client, fake_fc, marie
):
    # The fake identity's email is Marie's login: still, nobody is logged in or linked.
    users = User.objects.count()
    response = through_provider(client, START)
    assert response.status_code == 302 and response["Location"] == LINK
    assert "_auth_user_id" not in client.session
    assert IdentityLink.objects.count() == 0
    assert User.objects.count() == users
    page = text(client.get(LINK))
    assert "FranceConnect vous a identifié comme <strong>Marie Martin</strong>" in page
    assert "Je crée mon espace" in page


def test_linking_with_the_password_once_then_logging_in_again(client, fake_fc, marie):
    through_provider(client, START)
    response = client.post(LINK, {"email": "marie.martin@example.org", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/flandre-interieure/espace/"
    assert IdentityLink.objects.get(provider="franceconnect").user == marie
    client.logout()
    response = through_provider(client, START)
    assert response["Location"] == "/flandre-interieure/espace/"
    assert client.session["_auth_user_id"] == str(marie.pk)


def test_a_wrong_password_links_nothing(client, fake_fc, marie):
    through_provider(client, START)
    response = client.post(LINK, {"email": "marie.martin@example.org", "password": "Faux-mot1!"})
    assert response.status_code == 200
    assert "Identifiant ou mot de passe incorrect." in text(response)
    assert IdentityLink.objects.count() == 0 and "_auth_user_id" not in client.session


def test_an_identity_linked_to_another_login_is_not_linked_again(client, fake_fc, marie):
    other = make_user("autre@example.org")
    linked(other)
    fake_fc.identity = dict(MARIE)
    User.objects.filter(pk=other.pk).update(is_active=False)  # closed: the link is not used
    through_provider(client, START)
    response = client.post(LINK, {"email": "marie.martin@example.org", "password": PASSWORD})
    assert "déjà liée à un autre espace" in text(response)
    assert not IdentityLink.objects.filter(user=marie).exists()


def test_a_wrong_state_is_refused(client, fake_fc, marie):
    linked(marie)
    start = client.post(START)
    back = provider_answer(start["Location"])
    path, query = back.split("?")
    params = parse_qs(query)
    response = client.get(f"{path}?code={params['code'][0]}&state=not-the-state")
    assert response.status_code == 400
    assert "Connexion avec FranceConnect interrompue" in text(response)
    assert "_auth_user_id" not in client.session


def test_a_callback_replayed_is_refused(client, fake_fc, marie):
    linked(marie)
    start = client.post(START)
    back = provider_answer(start["Location"])
    assert client.get(back).status_code == 302
    client.logout()
    assert client.get(back).status_code == 400
    assert "_auth_user_id" not in client.session


def test_a_replayed_nonce_is_refused(client, fake_fc, marie):
    linked(marie)
    first = client.post(START)
    old_nonce = parse_qs(urlsplit(first["Location"]).query)["nonce"][0]
    fake_fc.nonce_override = old_nonce  # a token minted for the earlier request
    response = through_provider(client, START)
    assert response.status_code == 400 and "_auth_user_id" not in client.session


@pytest.mark.parametrize(
    "spoil",
    [
        {"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200},
        {"aud": "another-client"},
        {"iss": "https://someone-else.example.org"},
        {"acr": "eidas0"},
    ],
    ids=["expired", "another client", "another issuer", "a level not asked"],
)
def test_a_token_failing_a_check_logs_nobody_in(client, fake_fc, marie, spoil):
    linked(marie)
    fake_fc.claims_override = spoil
    response = through_provider(client, START)
    assert response.status_code == 400 and "_auth_user_id" not in client.session


def test_a_wrongly_signed_token_logs_nobody_in(client, fake_fc, marie):
    linked(marie)
    fake_fc.sign_with_other_key = True
    response = through_provider(client, START)
    assert response.status_code == 400 and "_auth_user_id" not in client.session


def test_encrypted_tokens_are_decrypted_with_our_key_then_checked(client, fake_fc, marie, settings):
    ours = RSAKey.generate_key(2048, private=True)
    settings.FRANCECONNECT_ENCRYPTION_KEY = json.dumps(ours.as_dict(private=True))
    fake_fc.encrypt_for = RSAKey.import_key(ours.as_dict(private=False))
    linked(marie)
    response = through_provider(client, START)
    assert response["Location"] == "/flandre-interieure/espace/"
    settings.FRANCECONNECT_ENCRYPTION_KEY = ""  # encrypted, but nothing to decrypt it with
    client.logout()
    assert through_provider(client, START).status_code == 400


def test_cancelling_at_franceconnect_comes_back_to_the_login(client, fake_fc):
    ccfi_world()
    start = client.post(START)
    state = parse_qs(urlsplit(start["Location"]).query)["state"][0]
    response = client.get(f"/franceconnect/retour/?error=access_denied&state={state}")
    assert response.status_code == 302 and response["Location"] == LOGIN


def test_sign_up_with_references_after_franceconnect_links_at_activation(
    client, fake_fc, django_capture_on_commit_callbacks
):
    authority, account = ccfi_world()  # account 00001, DUPONT Pierre
    fake_fc.identity = dict(PIERRE)
    through_provider(client, START)
    page = text(client.get("/flandre-interieure/creer-mon-espace/"))
    assert "identifié par FranceConnect comme <strong>Pierre Dupont</strong>" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/flandre-interieure/creer-mon-espace/",
            {
                "email": "dupont59@gmail.com",
                "password": "Mot2passe@",
                "password_confirm": "Mot2passe@",
                "name": "Dupont",
                "portal_key": "PSEMCSMJ",
            },
        )
    assert response.status_code == 302
    assert SignupIdentity.objects.count() == 1 and IdentityLink.objects.count() == 0
    link = [word for word in mail.outbox[-1].body.split() if "/activation/" in word][0]
    client.get(urlsplit(link).path)
    user = User.objects.get(email="dupont59@gmail.com")
    assert IdentityLink.objects.get(provider="franceconnect").user == user
    assert AccountAccess.objects.filter(user=user, account=account).exists()
    # Afterwards FranceConnect logs him straight in.
    client.logout()
    assert through_provider(client, START)["Location"] == "/flandre-interieure/espace/"


def test_sign_up_refuses_an_account_of_another_name_than_the_identity(client, fake_fc):
    ccfi_world()  # account 00001 is DUPONT Pierre; the identity is Marie Martin
    through_provider(client, START)
    response = client.post(
        "/flandre-interieure/creer-mon-espace/",
        {
            "email": "marie.martin@example.org",
            "password": "Mot2passe@",
            "password_confirm": "Mot2passe@",
            "name": "Dupont",
            "portal_key": "PSEMCSMJ",
        },
    )
    assert response.status_code == 200
    assert "n'est pas celui de votre identité FranceConnect" in text(response)
    assert PendingSignup.objects.count() == 0 and SignupIdentity.objects.count() == 0


def test_linking_from_the_profile_then_removing_the_link(client, fake_fc, marie):
    client.force_login(marie)
    profile = text(client.get("/flandre-interieure/espace/mon-profil/"))
    assert "Lier mon identité FranceConnect" in profile
    response = through_provider(client, START, {"intent": "link"})
    assert response["Location"] == "/flandre-interieure/espace/mon-profil/"
    assert IdentityLink.objects.get().user == marie
    profile = text(client.get("/flandre-interieure/espace/mon-profil/"))
    assert "Votre espace est lié à votre identité FranceConnect depuis le" in profile
    response = client.post("/flandre-interieure/espace/franceconnect/retirer/")
    assert response.status_code == 302
    assert not IdentityLink.objects.exists()


def test_logout_ends_the_session_at_franceconnect_too(client, fake_fc, marie):
    linked(marie)
    through_provider(client, START)
    id_token = client.session["identity_session"]["id_token"]
    response = client.post("/flandre-interieure/deconnexion/")
    assert "_auth_user_id" not in client.session  # Levée's session is over
    assert response["Location"].startswith(f"{fake_fc.issuer}/session/end?")
    back = provider_answer(response["Location"])
    assert fake_fc.logouts[-1]["id_token_hint"] == id_token
    assert fake_fc.logouts[-1]["post_logout_redirect_uri"] == (
        "http://testserver/franceconnect/deconnexion/"
    )
    landing = client.get(back)
    assert landing["Location"] == "/flandre-interieure/"


def test_a_password_session_logs_out_without_franceconnect(client, fake_fc, marie):
    client.post(LOGIN, {"email": "marie.martin@example.org", "password": PASSWORD})
    response = client.post("/flandre-interieure/deconnexion/")
    assert response["Location"] == "/flandre-interieure/"
    assert fake_fc.logouts == []


def test_a_failure_leads_back_to_the_login_of_the_authority_the_flow_came_from(
    client, fake_fc, marie
):
    client.post(START)
    response = client.get("/franceconnect/retour/?code=x&state=not-the-state")
    assert response.status_code == 400
    assert 'href="/flandre-interieure/connexion/"' in text(response)
    assert "Revenir à l'accueil" not in text(response)


def test_a_failure_leads_a_logged_in_person_back_to_his_space(client, fake_fc, marie):
    client.force_login(marie)
    client.post(START, {"intent": "link"})
    response = client.get("/franceconnect/retour/?code=x&state=not-the-state")
    assert response.status_code == 400
    assert 'href="/flandre-interieure/espace/"' in text(response)


def test_linking_from_the_profile_tells_no_franceconnect_login_before_one(client, fake_fc, marie):
    client.force_login(marie)
    through_provider(client, START, {"intent": "link"})
    profile = text(client.get("/flandre-interieure/espace/mon-profil/"))
    assert "Votre espace est lié à votre identité FranceConnect depuis le" in profile
    assert "dernière connexion avec FranceConnect" not in profile
    client.logout()
    through_provider(client, START)  # now a login with FranceConnect happens
    profile = text(client.get("/flandre-interieure/espace/mon-profil/"))
    assert "dernière connexion avec FranceConnect le" in profile


@pytest.mark.parametrize(
    "url, landing",
    [
        (START, LOGIN),
        ("/flandre-interieure/franceconnect/annuler/", LOGIN),
        ("/flandre-interieure/espace/franceconnect/retirer/", "/flandre-interieure/espace/"),
        ("/backoffice/proconnect/connexion/", "/backoffice/connexion/"),
    ],
)
def test_the_post_only_addresses_opened_directly_lead_to_a_login_page(
    client, fake_fc, marie, url, landing
):
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith(landing)
    assert not IdentityLink.objects.exists()


def test_a_franceconnect_session_does_not_open_the_back_office(client, fake_fc, marie):
    from levee.agents.models import Agent

    Agent.objects.create(authority=marie.account_accesses.first().authority, user=marie)
    linked(marie)
    through_provider(client, START)
    assert client.session["_auth_user_id"] == str(marie.pk)
    response = client.get("/backoffice/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/backoffice/connexion/")
    page = text(response)
    assert "Connexion des agents" in page
    assert "Une session ouverte avec FranceConnect n'ouvre pas le back office" in page
    assert "Tableau de bord" not in page
    assert client.get("/backoffice/comptes/").status_code == 302
    # His password (at the agents' login) opens it.
    client.post(
        "/backoffice/connexion/", {"email": "marie.martin@example.org", "password": PASSWORD}
    )
    assert client.get("/backoffice/").status_code == 200
