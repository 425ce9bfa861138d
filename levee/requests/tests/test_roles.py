"""Deciding on a demande is the work of « Accueil » and « Administrateur »; every role
reads the queue and the requests."""

import pytest

from levee.agents.models import Agent
from levee.agents.roles import AgentRole
from levee.requests.models import RequestStatus
from testkit import make_user

from .conftest import BO, make_request, text

DECIDERS = {AgentRole.ACCUEIL, AgentRole.ADMINISTRATEUR}
DECISIONS = [
    ("accepter/", {}, RequestStatus.ACCEPTED),
    ("refuser/", {"reason": "Justificatif illisible."}, RequestStatus.REFUSED),
    ("complement/", {"body": "Merci de joindre une facture."}, RequestStatus.WAITING),
]


def agent_with(world, role):
    user = make_user(f"{role}@cc-flandre.example.org")
    Agent.objects.create(authority=world.ccfi, user=user, role=role)
    return user


@pytest.mark.parametrize("role", list(AgentRole))
@pytest.mark.parametrize("url, data, status", DECISIONS)
def test_only_accueil_and_administrateur_decide(client, world, role, url, data, status):
    service_request = make_request(world)
    client.force_login(agent_with(world, role))
    response = client.post(f"{BO}{service_request.pk}/{url}", data)
    service_request.refresh_from_db()
    if role in DECIDERS:
        assert response.status_code == 302
        assert service_request.status == status
    else:
        assert response.status_code == 403 and "Accès refusé" in text(response)
        assert service_request.status == RequestStatus.PENDING


@pytest.mark.parametrize("role", list(AgentRole))
def test_every_role_reads_the_request_and_sees_the_decisions_it_may_take(client, world, role):
    service_request = make_request(world)
    client.force_login(agent_with(world, role))
    assert client.get(BO).status_code == 200
    page = text(client.get(f"{BO}{service_request.pk}/"))
    assert ("/accepter/" in page) == (role in DECIDERS)
    assert ("/refuser/" in page) == (role in DECIDERS)
