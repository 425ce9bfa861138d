"""« Journal des actions »: read by every agent of the authority, in French sentences and
Paris time, filtered, paginated, exported as CSV, changed by none."""

import datetime
from html import unescape

import pytest

from levee.agents.models import Agent
from levee.agents.roles import AgentRole
from levee.agents.services import account_key_regenerate
from levee.audit.models import AuditEntry
from testkit import ccfi_world, make_account, make_user, pilat_world

pytestmark = pytest.mark.django_db

JOURNAL = "/backoffice/journal/"


def text(response) -> str:
    return unescape(response.content.decode())


@pytest.fixture
def world():
    ccfi, account = ccfi_world()
    pilat, _ = pilat_world()
    agent = make_user("agent.flandre@example.org")
    agent.first_name, agent.last_name = "Pierrick", "Dupont"
    agent.save(update_fields=["first_name", "last_name"])
    Agent.objects.create(authority=ccfi, user=agent, role=AgentRole.ACCUEIL)
    reader = make_user("lecture@example.org")
    Agent.objects.create(authority=ccfi, user=reader, role=AgentRole.CONSULTATION)
    other = make_user("agent.pilat@example.org")
    Agent.objects.create(authority=pilat, user=other, role=AgentRole.ADMINISTRATEUR)
    account_key_regenerate(account=account, agent_user=agent)
    neighbour = make_account(ccfi, code="00002", portal_key="NEIGHBOR", last_name="MARTIN")
    return {
        "ccfi": ccfi,
        "account": account,
        "neighbour": neighbour,
        "agent": agent,
        "reader": reader,
        "other": other,
    }


def entry(world, *, action="account.key_regenerate", account=None, actor=None, at=None):
    made = AuditEntry.objects.create(
        authority=world["ccfi"],
        actor=actor or world["agent"],
        action=action,
        object_type="subscribers.Account",
        object_id=str((account or world["account"]).pk),
    )
    if at is not None:
        AuditEntry.objects.filter(pk=made.pk).update(created_at=at)
    return made


def test_every_agent_reads_his_authority_log_as_sentences_in_paris_time(client, world):
    AuditEntry.objects.update(
        created_at=datetime.datetime(2026, 1, 15, 23, 30, tzinfo=datetime.UTC)
    )
    client.force_login(world["reader"])
    page = text(client.get(JOURNAL))
    assert (
        "<strong>Pierrick Dupont</strong> : clé d'activation du compte 00001 (DUPONT PIERRE) régénérée"
        in page
    )
    assert "16/01/2026 à 00:30:00" in page
    # No code, no dictionary, never the key (the old one, PSEMCSMJ, nor the new).
    assert "account.key_regenerate" not in page and "portal_key" not in page
    assert "PSEMCSMJ" not in page
    world["account"].refresh_from_db()
    assert world["account"].portal_key not in page
    one = text(client.get(f"{JOURNAL}?objet=subscribers.Account:{world['account'].pk}"))
    assert "clé d'activation du compte 00001" in one and "Tout le journal" in one


def test_the_log_filters_by_agent_account_kind_and_days(client, world):
    colleague = make_user("collegue@example.org")
    Agent.objects.create(authority=world["ccfi"], user=colleague, role=AgentRole.ACCUEIL)
    entry(
        world,
        action="account.dissociate",
        account=world["neighbour"],
        actor=colleague,
        at=datetime.datetime(2026, 3, 10, 9, 0, tzinfo=datetime.UTC),
    )
    entry(
        world,
        action="calendar.sector_delete",
        actor=colleague,
        at=datetime.datetime(2026, 3, 20, 23, 30, tzinfo=datetime.UTC),
    )  # 21/03 in Paris
    client.force_login(world["reader"])

    by_agent = text(client.get(JOURNAL, {"agent": colleague.pk}))
    assert "2 actions" in by_agent and "clé d'activation" not in by_agent
    by_account = text(client.get(JOURNAL, {"compte": "00002"}))
    assert "1 action," in by_account and "dissocié du compte 00002" in by_account
    by_kind = text(client.get(JOURNAL, {"type": "calendriers"}))
    assert "1 action," in by_kind and "secteur" in by_kind
    by_days = text(client.get(JOURNAL, {"du": "2026-03-21", "au": "2026-03-21"}))
    assert "1 action," in by_days and "secteur" in by_days
    assert "Aucune action enregistrée pour ces critères." in text(
        client.get(JOURNAL, {"du": "2026-03-11", "au": "2026-03-19"})
    )
    unknown = text(client.get(JOURNAL, {"compte": "99999"}))
    assert "Aucun compte usager de la collectivité n'a ce code." in unknown
    reversed_days = text(client.get(JOURNAL, {"du": "2026-03-21", "au": "2026-03-01"}))
    assert "La date de fin précède la date de début." in reversed_days


def test_another_authority_sees_none_of_it_and_junk_filters_never_fail(client, world):
    client.force_login(world["other"])
    page = text(client.get(JOURNAL))
    assert "clé d'activation" not in page and "Aucune action enregistrée." in page
    # Another authority's agent is not offered, nor its account found.
    assert "Pierrick Dupont" not in page
    assert "Aucun compte usager" in text(client.get(JOURNAL, {"compte": "00001"}))
    for junk in (
        "?objet=x",
        "?objet=subscribers.Account:abc",
        "?page=zz",
        "?objet=%00",
        "?agent=abc",
        "?du=hier",
        "?type=rien",
        f"?agent={world['agent'].pk}",
    ):
        response = client.get(JOURNAL + junk)
        assert response.status_code in (200, 400)
        assert "clé d'activation" not in text(response)


def test_the_log_is_paginated_in_a_constant_number_of_queries(
    client, world, django_assert_max_num_queries
):
    client.force_login(world["reader"])
    with django_assert_max_num_queries(14) as few:
        client.get(JOURNAL)
    for _ in range(70):
        entry(world, action="account.act_on_behalf_start")
    with django_assert_max_num_queries(len(few.captured_queries)):
        first = text(client.get(JOURNAL))
    assert "71 actions" in first and "Page 1 sur 2" in first
    assert "Page 2 sur 2" in text(client.get(JOURNAL, {"page": 2}))


def test_the_export_has_french_headers_the_filter_and_cells_no_spreadsheet_runs(client, world):
    world["agent"].first_name = '=HYPERLINK("http://x")'
    world["agent"].save(update_fields=["first_name"])
    entry(world, action="account.dissociate", account=world["neighbour"])
    client.force_login(world["reader"])
    response = client.get(JOURNAL + "export.csv", {"compte": "00002"})
    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode()
    lines = body.splitlines()
    assert lines[0] == (
        "\ufeffDate (heure de Paris);Agent;Email de l'agent;Action;Compte usager;Objet;"
        "Code de l'action"
    )
    assert len(lines) == 2 and "dissocié du compte 00002" in lines[1]
    # The agent's cell starts with a quote: a spreadsheet shows it, never runs it.
    assert ";00002;" in lines[1] and ";\"'=HYPERLINK(" in lines[1]


def test_the_log_cannot_be_changed_from_the_application(client, world):
    client.force_login(world["agent"])
    before = list(AuditEntry.objects.values())
    assert client.post(JOURNAL, {"action": "x"}).status_code in (403, 405, 200)
    assert client.post(JOURNAL + "export.csv").status_code in (403, 405, 200)
    assert list(AuditEntry.objects.values()) == before
