"""Every action code of the code base reads as a French sentence in the Journal."""

import datetime
import pathlib
import re

import pytest

from levee.agents.models import Agent
from levee.agents.roles import AgentRole
from levee.audit.models import AuditEntry
from levee.audit.sentences import SENTENCES, elided, entries_describe, entry_text
from testkit import ccfi_world, make_user

pytestmark = pytest.mark.django_db

ROOT = pathlib.Path(__file__).resolve().parents[2]
CODE = re.compile(r'"([a-z_]+\.[a-z_]+)"')


def codes_of_the_code_base() -> set[str]:
    """The action codes passed to audit_write (`action="…"`, or one of two by a condition)."""
    found = set()
    for path in ROOT.rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        for line in path.read_text().splitlines():
            if re.search(r"\baction=\"[a-z_]+\.", line):
                found.update(CODE.findall(line.split("action=", 1)[1]))
    return found


def test_every_action_code_written_has_its_sentence():
    codes = codes_of_the_code_base()
    assert len(codes) > 30  # the scan finds them
    assert codes - set(SENTENCES) == set()


@pytest.fixture
def world():
    authority, account = ccfi_world()
    user = make_user("pierrick.agent@example.org")
    user.first_name, user.last_name = "Pierrick", "Dupont"
    user.save(update_fields=["first_name", "last_name"])
    agent = Agent.objects.create(authority=authority, user=user, role=AgentRole.ACCUEIL)
    return authority, account, user, agent


@pytest.mark.parametrize("action", sorted(SENTENCES))
def test_every_sentence_reads_without_a_code_or_a_dictionary_even_with_nothing_stored(
    world, action
):
    authority, account, user, agent = world
    entry = AuditEntry.objects.create(
        authority=authority,
        actor=user,
        action=action,
        object_type="subscribers.Account",
        object_id=str(account.pk),
    )
    text = entry_text(entry)
    assert text and action not in text and "{" not in text and "None" not in text


def test_an_accepted_correction_says_the_address_before_and_after(world):
    authority, account, user, agent = world
    entry = AuditEntry.objects.create(
        authority=authority,
        actor=user,
        action="service_request.accept",
        object_type="requests.ServiceRequest",
        object_id="7",
        before={
            "status": "pending",
            "kind": "personal_information",
            "values": {
                "first_name": "Pierre",
                "billing_number": "29",
                "billing_street": "route de Méteren",
                "billing_postal_code": "59270",
                "billing_city": "Bailleul",
            },
        },
        after={
            "status": "accepted",
            "applied": {"first_name": "PIERRICK", "billing_number": "30"},
        },
    )
    [line] = entries_describe([entry])
    assert line.sentence.startswith(
        "Pierrick Dupont : adresse de facturation 29 → 30 ROUTE DE MÉTEREN, 59270 BAILLEUL"
    )
    assert "prénom Pierre → PIERRICK" in line.sentence
    assert "(demande n° 7 « Modification de mes informations » acceptée)" in line.sentence


def test_values_are_said_in_french_and_times_in_paris_time(world):
    authority, account, user, agent = world
    entry = AuditEntry.objects.create(
        authority=authority,
        actor=user,
        action="account.act_on_behalf_start",
        object_type="subscribers.Account",
        object_id=str(account.pk),
        after={"account": account.code, "expires_at": "2026-01-15T23:30:00+00:00"},
    )
    assert entry_text(entry) == (
        "ouverture de l'espace de l'usager, compte 00001 (DUPONT PIERRE), "
        "jusqu'au 16/01/2026 à 00:30"
    )
    role = AuditEntry.objects.create(
        authority=authority,
        actor=user,
        action="agent.role_set",
        object_type="agents.Agent",
        object_id=str(agent.pk),
        before={"role": AgentRole.ACCUEIL},
        after={"role": AgentRole.ADMINISTRATEUR},
    )
    assert entry_text(role) == "rôle de Pierrick Dupont : Accueil → Administrateur"
    paperless = AuditEntry.objects.create(
        authority=authority,
        actor=user,
        action="account.paperless_update",
        object_type="subscribers.Account",
        object_id=str(account.pk),
        before={"paperless_invoices": False},
        after={"paperless_invoices": True},
    )
    assert entry_text(paperless).endswith("factures uniquement par email non → oui")
    AuditEntry.objects.filter(pk=entry.pk).update(
        created_at=datetime.datetime(2026, 7, 1, 22, 15, tzinfo=datetime.UTC)
    )
    entry.refresh_from_db()
    assert entries_describe([entry])[0].at.strftime("%d/%m/%Y %H:%M") == "02/07/2026 00:15"


def test_common_trailing_words_are_said_once():
    assert elided("29 ROUTE DE MÉTEREN", "30 ROUTE DE MÉTEREN") == "29 → 30 ROUTE DE MÉTEREN"
    assert elided("", "12 RUE DE LILLE") == "— → 12 RUE DE LILLE"
    assert elided("A", "B") == "A → B"


def test_a_phone_number_reads_as_itself_never_as_a_date(world):
    authority, account, user, agent = world
    entry = AuditEntry.objects.create(
        authority=authority,
        actor=user,
        action="service_request.accept",
        object_type="requests.ServiceRequest",
        object_id="8",
        before={"status": "pending", "kind": "personal_information", "values": {}},
        after={
            "status": "accepted",
            "applied": {"phone": "0601020304", "mobile": "0320304050"},
        },
    )
    text = entry_text(entry)
    assert "0601020304" in text and "0320304050" in text
    assert "février" not in text and "/" not in text


def test_an_account_is_named_by_its_code_not_its_row(world):
    authority, account, user, agent = world
    entry = AuditEntry.objects.create(
        authority=authority,
        actor=user,
        action="account.plan_set",
        object_type="subscribers.Account",
        object_id=str(account.pk),
        after={"account": account.code},
    )
    [line] = entries_describe([entry])
    assert line.object_label == f"compte usager {account.code}"
    other = AuditEntry.objects.create(
        authority=authority,
        actor=user,
        action="service_request.refuse",
        object_type="requests.ServiceRequest",
        object_id="12",
        after={"reason": "incomplet"},
    )
    assert entries_describe([other])[0].object_label == "demande n° 12"
