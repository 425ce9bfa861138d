from html import unescape

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from levee.agents.models import Agent
from levee.agents.roles import AgentRole
from levee.audit.models import AuditEntry
from levee.identity.models import IdentityLink, ProConnectPolicy
from testkit import PASSWORD, ccfi_world, make_user

from .conftest import provider_answer, through_provider

pytestmark = pytest.mark.django_db

START = "/backoffice/proconnect/connexion/"


def text(response) -> str:
    return unescape(response.content.decode())


@pytest.fixture
def claire():
    authority, _ = ccfi_world()
    user = make_user("agent.flandre@example.org")
    Agent.objects.create(authority=authority, user=user, role=AgentRole.ADMINISTRATEUR)
    return user


def test_the_agents_login_offers_proconnect(client, fake_pc):
    page = text(client.get("/backoffice/connexion/"))
    assert "ProConnect</span>" in page and "Qu'est-ce que ProConnect ?" in page


def test_the_button_is_absent_when_proconnect_is_not_configured(client, settings):
    settings.IDENTITY_SIMULATION = False
    settings.PROCONNECT_CLIENT_ID = ""
    settings.PROCONNECT_ISSUER = ""
    assert "ProConnect" not in text(client.get("/backoffice/connexion/"))
    assert client.post(START).status_code == 404


def test_an_agent_whose_email_matches_logs_in_and_his_second_factor_is_proconnects(
    client, fake_pc, claire, settings
):
    settings.TWO_FACTOR_REQUIRED = True
    TOTPDevice.objects.create(user=claire, confirmed=True)
    response = through_provider(client, START)
    assert response.status_code == 302 and response["Location"] == "/backoffice/"
    assert client.session["_auth_user_id"] == str(claire.pk)
    assert client.get("/backoffice/").status_code == 200  # no « Code de vérification »
    assert IdentityLink.objects.get(provider="proconnect").user == claire
    claims = fake_pc.authorize_requests[-1]["claims"]
    assert '"amr"' in claims


def test_without_a_second_factor_at_proconnect_the_back_office_asks_its_own(
    client, fake_pc, claire, settings
):
    settings.TWO_FACTOR_REQUIRED = True
    TOTPDevice.objects.create(user=claire, confirmed=True)
    fake_pc.amr = ["pwd"]
    response = through_provider(client, START)
    assert response["Location"].startswith("/securite/code/")


def test_an_identity_of_nobody_known_logs_nobody_in(client, fake_pc, claire):
    fake_pc.identity = {"sub": "pc-x", "given_name": "Jean", "usual_name": "Inconnu",
                        "email": "jean.inconnu@mairie.example.org"}  # fmt: skip
    response = through_provider(client, START)
    assert response.status_code == 403
    assert "aucune collectivité de Levée n'a d'agent actif avec cette adresse" in text(response)
    assert "_auth_user_id" not in client.session and not IdentityLink.objects.exists()


def test_a_resident_who_is_no_agent_is_refused(client, fake_pc):
    ccfi_world()
    make_user("agent.flandre@example.org")  # a login, but no agent
    response = through_provider(client, START)
    assert response.status_code == 403 and "_auth_user_id" not in client.session


def test_a_token_for_another_client_is_refused(client, fake_pc, claire):
    fake_pc.claims_override = {"aud": "another-client"}
    response = through_provider(client, START)
    assert response.status_code == 400 and "_auth_user_id" not in client.session


def test_logout_ends_the_proconnect_session_too(client, fake_pc, claire):
    through_provider(client, START)
    response = client.post("/backoffice/deconnexion/")
    assert "_auth_user_id" not in client.session
    back = provider_answer(response["Location"])
    assert fake_pc.logouts[-1]["id_token_hint"]
    assert client.get(back)["Location"] == "/backoffice/connexion/"


def test_an_administrator_requires_proconnect_and_passwords_no_longer_open(client, fake_pc, claire):
    through_provider(client, START)  # he requires it from a session opened with ProConnect
    page = text(client.get("/backoffice/agents/"))
    assert "Exiger ProConnect pour les agents de la collectivité" in page
    response = client.post("/backoffice/agents/proconnect/", {"required": "on"})
    assert response.status_code == 302
    assert ProConnectPolicy.objects.get().required
    assert AuditEntry.objects.filter(action="authority.proconnect_required").count() == 1
    client.logout()
    response = client.post(
        "/backoffice/connexion/", {"email": "agent.flandre@example.org", "password": PASSWORD}
    )
    assert response.status_code == 200 and "_auth_user_id" not in client.session
    assert "Votre collectivité demande à ses agents de se connecter avec ProConnect" in text(
        response
    )
    assert through_provider(client, START)["Location"] == "/backoffice/"


def test_proconnect_cannot_be_required_where_it_is_not_configured(client, claire, settings):
    settings.IDENTITY_SIMULATION = False
    settings.PROCONNECT_CLIENT_ID = ""
    settings.PROCONNECT_ISSUER = ""
    client.force_login(claire)
    client.post("/backoffice/agents/proconnect/", {"required": "on"})
    assert not ProConnectPolicy.objects.filter(required=True).exists()


def test_a_password_session_no_longer_opens_the_back_office_once_proconnect_is_required(
    client, fake_pc, claire
):
    client.force_login(claire)  # as through the residents' login page, with his password
    assert client.get("/backoffice/").status_code == 200
    ProConnectPolicy.objects.create(authority=Agent.objects.get().authority, required=True)
    response = client.get("/backoffice/")
    assert response.status_code == 403
    assert "Connexion avec ProConnect exigée" in text(response)
    through_provider(client, START)
    assert client.get("/backoffice/").status_code == 200


def test_a_password_session_cannot_require_proconnect(client, fake_pc, claire):
    client.force_login(claire)  # his password, not ProConnect
    assert "Connectez-vous avec ProConnect pour l'exiger" in text(client.get("/backoffice/agents/"))
    response = client.post("/backoffice/agents/proconnect/", {"required": "on"}, follow=True)
    page = text(response)
    assert "Connectez-vous avec ProConnect pour l'exiger" in page
    assert "se connectent désormais avec ProConnect" not in page
    assert not ProConnectPolicy.objects.filter(required=True).exists()
    assert not AuditEntry.objects.filter(action="authority.proconnect_required").exists()
    assert client.get("/backoffice/").status_code == 200  # still in


def test_the_proconnect_required_page_offers_to_log_out(client, fake_pc, claire):
    client.force_login(claire)
    ProConnectPolicy.objects.create(authority=Agent.objects.get().authority, required=True)
    page = text(client.get("/backoffice/"))
    assert "S'identifier avec" in page and "Déconnexion" in page
