from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import call_command

from levee.agents.models import Agent
from levee.identity.models import IdentityLink
from levee.lib.checks import identity_simulation_check
from testkit import PASSWORD, ccfi_world, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def simulation(settings):
    settings.IDENTITY_SIMULATION = True
    settings.EMBEDDED = True
    for prefix in ("FRANCECONNECT", "PROCONNECT"):
        setattr(settings, f"{prefix}_CLIENT_ID", "")
        setattr(settings, f"{prefix}_ISSUER", "")


def choose(client, authorize_url: str, identity: str):
    page = client.get(authorize_url)
    assert page.status_code == 200
    assert "Simulation : ce n'est pas le vrai" in unescape(page.content.decode())
    query = {k: v[0] for k, v in parse_qs(urlsplit(authorize_url).query).items()}
    response = client.post(urlsplit(authorize_url).path, {**query, "identity": identity})
    assert response.status_code == 302
    back = urlsplit(response["Location"])
    return client.get(f"{back.path}?{back.query}")


def test_the_imitation_links_marie_with_her_password_then_logs_her_in(client, simulation):
    _, account = ccfi_world()
    marie = make_user("marie.martin@example.org", accounts=[account])
    start = client.post("/flandre-interieure/franceconnect/connexion/")
    assert start["Location"].startswith("/simulation/franceconnect/autoriser/?")
    assert choose(client, start["Location"], "marie")["Location"] == (
        "/flandre-interieure/franceconnect/lier/"
    )
    client.post(
        "/flandre-interieure/franceconnect/lier/",
        {"email": "marie.martin@example.org", "password": PASSWORD},
    )
    assert IdentityLink.objects.get().user == marie
    client.logout()
    start = client.post("/flandre-interieure/franceconnect/connexion/")
    assert choose(client, start["Location"], "marie")["Location"] == "/flandre-interieure/espace/"


def test_the_imitation_logs_the_demo_agent_in_with_proconnect(client, simulation):
    authority, _ = ccfi_world()
    agent = make_user("agent.flandre@example.org")
    Agent.objects.create(authority=authority, user=agent)
    start = client.post("/backoffice/proconnect/connexion/")
    assert choose(client, start["Location"], "claire")["Location"] == "/backoffice/"
    assert client.session["_auth_user_id"] == str(agent.pk)


def test_the_imitation_refuses_a_request_of_another_client(client, simulation):
    response = client.get(
        "/simulation/franceconnect/autoriser/?client_id=intrus&redirect_uri=http://evil.example"
        "&state=s&nonce=n"
    )
    assert response.status_code == 400


def test_the_imitation_is_off_outside_the_demo(client, settings):
    settings.IDENTITY_SIMULATION = True
    settings.EMBEDDED = False
    settings.DEBUG = False
    assert client.get("/simulation/franceconnect/autoriser/").status_code == 404
    assert [e.id for e in identity_simulation_check()] == ["levee.E002"]


def test_the_system_check_accepts_it_in_the_demo(settings):
    settings.IDENTITY_SIMULATION = True
    settings.EMBEDDED = True
    assert identity_simulation_check() == []
    call_command("check")


def test_the_imitation_refuses_a_request_without_response_type_up_front(client, simulation):
    ccfi_world()
    start = client.post("/flandre-interieure/franceconnect/connexion/")
    parts = urlsplit(start["Location"])
    query = {k: v[0] for k, v in parse_qs(parts.query).items() if k != "response_type"}
    response = client.get(parts.path, query)
    assert response.status_code == 400
    assert "Demande refusée" in unescape(response.content.decode())
    assert "Choisissez une identité de test" not in unescape(response.content.decode())


def test_the_end_of_session_opened_directly_says_no_session_was_ended(client, simulation):
    page = unescape(client.get("/simulation/franceconnect/deconnexion/").content.decode())
    assert "aucune session n'a été terminée" in page
    assert "Vous êtes déconnecté" not in page
