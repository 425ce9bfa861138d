"""`manage.py debit_file_generate`: the régie's pain.008 file from the command line, as the
back office makes it; every refusal in French, with no file written."""

import datetime
import io

import pytest
from django.core.management import CommandError, call_command
from lxml import etree

from levee.agents.models import Agent
from levee.agents.roles import AgentRole
from levee.audit.models import AuditEntry
from levee.payments.models import DebitFile
from levee.treasury.models import CollectionMode, PublicAccountingSettings
from testkit import make_user

from .debit_world import RegieWorld

pytestmark = pytest.mark.django_db
NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.008.001.02"}


@pytest.fixture
def regie(db):
    world = RegieWorld()
    world.agent = Agent.objects.create(
        authority=world.authority,
        user=make_user("agent.pilat@example.org"),
        role=AgentRole.FACTURATION,
    ).user
    return world


def run(*args) -> str:
    out = io.StringIO()
    call_command("debit_file_generate", *args, stdout=out)
    return out.getvalue()


def test_the_command_writes_the_debits_due_in_one_valid_file_in_the_agents_name(regie):
    printed = run(
        regie.authority.slug, "--up-to", "2027-01-31", "--agent", "AGENT.PILAT@example.org"
    )
    debit_file = DebitFile.objects.get(authority=regie.authority)
    assert (debit_file.count, debit_file.total_cents) == (2, 3000 + 12345)
    assert f"Fichier {debit_file.name} : 2 prélèvements, 153,45\xa0€" in printed
    # Taken on their dates (4 and 10 January 2027), or the next day at the earliest.
    first, last = debit_file.first_collection_on, debit_file.last_collection_on
    assert first >= datetime.date(2027, 1, 4) and last >= datetime.date(2027, 1, 10)
    assert f"du {first:%d/%m/%Y} au {last:%d/%m/%Y} — {debit_file.file.name}" in printed
    with debit_file.file.open("rb") as handle:
        root = etree.fromstring(handle.read())
    assert root.findtext("p:CstmrDrctDbtInitn/p:GrpHdr/p:NbOfTxs", namespaces=NS) == "2"
    entry = AuditEntry.objects.get(action="debit_file.generate")
    assert entry.actor == regie.agent


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["inconnue", "--up-to", "2027-01-31"],
            "Aucune collectivité n'a l'identifiant « inconnue »",
        ),
        (["{slug}", "--up-to", "31/01/2027"], "« 31/01/2027 » n'est pas une date"),
        (["{slug}", "--up-to", "2026-12-01"], "Aucun prélèvement n'est dû jusqu'au 01/12/2026"),
        (
            ["{slug}", "--up-to", "2027-01-31", "--agent", "personne@example.org"],
            "« personne@example.org » n'est pas un agent actif",
        ),
    ],
)
def test_bad_input_is_told_in_french_and_writes_no_file(regie, args, message):
    args = [a.format(slug=regie.authority.slug) for a in args]
    with pytest.raises(CommandError, match=message):
        run(*args)
    assert not DebitFile.objects.exists()


def test_an_authority_in_pes_mode_is_told_its_accountant_debits(regie):
    PublicAccountingSettings.objects.filter(authority=regie.authority).update(
        collection_mode=CollectionMode.PES
    )
    with pytest.raises(CommandError, match="le mode de recouvrement « Régie »"):
        run(regie.authority.slug, "--up-to", "2027-01-31")
    assert not DebitFile.objects.exists()
