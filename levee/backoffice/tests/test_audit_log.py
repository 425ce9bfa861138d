"""The audit log, read by every agent of the authority, changed by none."""

from html import unescape

import pytest

from levee.agents.models import Agent
from levee.agents.roles import AgentRole
from levee.agents.services import account_key_regenerate
from levee.audit.models import AuditEntry
from testkit import ccfi_world, make_user, pilat_world

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return unescape(response.content.decode())


@pytest.fixture
def world():
    ccfi, account = ccfi_world()
    pilat, _ = pilat_world()
    agent = make_user("agent.flandre@example.org")
    Agent.objects.create(authority=ccfi, user=agent, role=AgentRole.ACCUEIL)
    reader = make_user("lecture@example.org")
    Agent.objects.create(authority=ccfi, user=reader, role=AgentRole.CONSULTATION)
    other = make_user("agent.pilat@example.org")
    Agent.objects.create(authority=pilat, user=other, role=AgentRole.ADMINISTRATEUR)
    account_key_regenerate(account=account, agent_user=agent)
    return {"account": account, "agent": agent, "reader": reader, "other": other}


def test_every_agent_reads_his_authority_log_with_before_and_after(
    client, world, django_assert_max_num_queries
):
    client.force_login(world["reader"])
    with django_assert_max_num_queries(10):
        page = text(client.get("/backoffice/journal/"))
    assert "agent.flandre@example.org" in page and "account.key_regenerate" in page
    # Before and after say the key changed, never the key (the old one, PSEMCSMJ, nor the new).
    assert "(masquée)" in page and "PSEMCSMJ" not in page
    world["account"].refresh_from_db()
    assert world["account"].portal_key not in page
    one = text(client.get(f"/backoffice/journal/?objet=subscribers.Account:{world['account'].pk}"))
    assert "account.key_regenerate" in one and "Tout le journal" in one


def test_another_authority_sees_none_of_it_and_junk_filters_never_fail(client, world):
    client.force_login(world["other"])
    page = text(client.get("/backoffice/journal/"))
    assert "account.key_regenerate" not in page and "Aucune action enregistrée." in page
    for junk in ("?objet=x", "?objet=subscribers.Account:abc", "?page=zz", "?objet=%00"):
        assert client.get("/backoffice/journal/" + junk).status_code in (200, 400)


def test_the_log_cannot_be_changed_from_the_application(client, world):
    client.force_login(world["agent"])
    before = list(AuditEntry.objects.values())
    assert client.post("/backoffice/journal/", {"action": "x"}).status_code in (403, 405, 200)
    assert list(AuditEntry.objects.values()) == before
