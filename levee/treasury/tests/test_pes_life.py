"""What may make a rôle and what may not, the life of its files (généré → transmis →
accepté / rejeté), their numbering without gaps, the audit, the command, and the checker's
eye on a file that went wrong (issue 13, items 2 and 3)."""

import datetime
import os
import shutil
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from levee.agents.models import Agent
from levee.agents.roles import AgentRole
from levee.audit.models import AuditEntry
from levee.billing.models import RunKind, RunStatus
from levee.lib.storage import private_storage
from levee.payments.models import MandateStatus
from levee.treasury.demo import demo_treasury_load
from levee.treasury.models import (
    CollectionMode,
    PesBordereauSequence,
    PesFile,
    PesFileStatus,
    PublicAccountingSettings,
    luhn_valid,
)
from levee.treasury.pes import sequence_of
from levee.treasury.pes_check import pes_check
from levee.treasury.selectors import (
    pes_files_of_authority,
    pes_files_of_run,
    public_accounting_settings_of,
)
from levee.treasury.services import (
    TreasuryError,
    pes_file_generate,
    pes_file_mark_accepted,
    pes_file_mark_rejected,
    pes_file_mark_transmitted,
    settings_missing,
)
from testkit import ccfi_world, make_user, pilat_world

from .builders import another_account, debit, pes_settings, published_run, run_invoice

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def world():
    authority, account = ccfi_world()
    settings = pes_settings(authority)
    run = published_run(authority)
    agent = make_user("claire.verhaeghe@example.org")
    return authority, account, settings, run, agent


def pes_folder_files(authority) -> list[str]:
    folder = private_storage.path(f"pes/{authority.pk}")
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []


def test_incomplete_settings_name_what_is_missing_and_write_no_file(world):
    authority, account, settings, run, agent = world
    run_invoice(run, account, 1)
    settings.siret = "20004094700191"  # one digit off: the Luhn key fails
    settings.poste_code = ""
    settings.line_codes = {"abonnement": {"nature": "588", "product": "REOF"}}
    settings.save()

    with pytest.raises(TreasuryError) as refused:
        pes_file_generate(run=run, by=agent)

    message = refused.value.message
    assert message.startswith("Réglages de comptabilité publique incomplets, il manque :")
    assert "un SIRET valide (IdColl)" in message
    assert "le poste comptable (IdPost)" in message
    assert "le code produit des lignes « Levées supplémentaires »" in message
    assert "« Abonnement »" not in message
    assert PesFile.objects.count() == 0
    assert pes_folder_files(authority) == []


def test_a_regie_authority_is_told_its_mode(world):
    authority, account, settings, run, agent = world
    settings.collection_mode = CollectionMode.REGIE
    settings.save()
    assert settings_missing(settings) == [
        "le mode de recouvrement « Titres transmis au comptable public (PES ORMC) »"
    ]


@pytest.mark.parametrize(
    "status,kind",
    [(RunStatus.RUNNING, RunKind.REAL), (RunStatus.DONE, RunKind.SIMULATION)],
    ids=["running", "simulation"],
)
def test_a_run_not_published_makes_no_role(status, kind):
    authority, account = ccfi_world()
    pes_settings(authority)
    run = published_run(authority, status=status, kind=kind)
    run_invoice(run, account, 1)

    with pytest.raises(TreasuryError) as refused:
        pes_file_generate(run=run, by=None)

    assert "publiée" in refused.value.message
    assert PesFile.objects.count() == 0


def test_an_invoice_not_yet_published_holds_the_role_back(world):
    authority, account, settings, run, agent = world
    run_invoice(run, account, 1, published=False)
    with pytest.raises(TreasuryError, match="pas encore publiée"):
        pes_file_generate(run=run, by=agent)


def test_the_life_of_a_file_is_audited_and_transmitted_files_are_never_regenerated(world):
    authority, account, settings, run, agent = world
    run_invoice(run, account, 1)
    [first] = pes_file_generate(run=run, by=agent)
    [again] = pes_file_generate(run=run, by=agent)  # before transmission: replaced
    assert again.bordereau == first.bordereau == 1
    assert list(PesFile.objects.values_list("pk", flat=True)) == [again.pk]

    pes_file_mark_transmitted(pes_file=again, by=agent)
    with pytest.raises(TreasuryError, match="ne peut plus être généré"):
        pes_file_generate(run=run, by=agent)
    with pytest.raises(TreasuryError, match="déjà transmis"):
        pes_file_mark_transmitted(pes_file=again, by=agent)
    accepted = pes_file_mark_accepted(pes_file=again, by=agent)

    assert accepted.status == PesFileStatus.ACCEPTED
    assert accepted.transmitted_by == agent and accepted.answered_by == agent
    assert accepted.transmitted_at and accepted.answered_at
    assert list(
        AuditEntry.objects.filter(object_type="treasury.PesFile", object_id=str(again.pk))
        .order_by("pk")
        .values_list("action", flat=True)
    ) == ["pes_file.generate", "pes_file.transmit", "pes_file.accept"]


def test_a_rejected_file_gives_its_number_to_the_next_generation(world):
    authority, account, settings, run, agent = world
    run_invoice(run, account, 1)
    [sent] = pes_file_generate(run=run, by=agent)
    pes_file_mark_transmitted(pes_file=sent, by=agent)
    with pytest.raises(TreasuryError, match="motif"):
        pes_file_mark_rejected(pes_file=sent, by=agent, reason="  ")

    rejected = pes_file_mark_rejected(
        pes_file=sent, by=agent, reason="ERREUR_CODIQUE poste inconnu"
    )
    assert rejected.status == PesFileStatus.REJECTED
    assert rejected.reason == "ERREUR_CODIQUE poste inconnu"
    [corrected] = pes_file_generate(run=run, by=agent)

    assert corrected.bordereau == 1
    assert PesFile.objects.filter(status=PesFileStatus.REJECTED).count() == 1
    assert AuditEntry.objects.filter(action="pes_file.reject").get().after["reason"] == (
        "ERREUR_CODIQUE poste inconnu"
    )


def test_bordereaux_follow_each_other_without_gaps_per_exercice(world):
    authority, account, settings, run, agent = world
    run_invoice(run, account, 1)
    [first] = pes_file_generate(run=run, by=agent)
    other_run = published_run(authority)
    run_invoice(other_run, another_account(authority, "00002"), 2)
    [second] = pes_file_generate(run=other_run, by=agent)

    assert (first.bordereau, second.bordereau) == (1, 2)
    assert PesBordereauSequence.objects.get(authority=authority, year=2026).next_value == 3
    # Fewer files than before while later numbers exist: a hole, refused.
    settings.pieces_per_file = 1
    settings.save()
    run_invoice(run, another_account(authority, "00003"), 3)
    # (2 invoices now: 2 files, the run held 1 number; it takes number 3.)
    files = pes_file_generate(run=run, by=agent)
    assert [f.bordereau for f in files] == [1, 3]


def test_the_checker_sees_a_file_gone_wrong(world, tmp_path):
    authority, account, settings, run, agent = world
    run_invoice(run, account, 1)
    [pes_file] = pes_file_generate(run=run, by=agent)
    source = private_storage.path(pes_file.file.name)
    text = open(source, encoding="iso-8859-1").read()

    def broken(old: str, new: str) -> list[str]:
        path = tmp_path / "broken.xml"
        assert old in text
        path.write_text(text.replace(old, new, 1), encoding="iso-8859-1")
        return pes_check(path)

    assert any(
        "MtBordHt vaut 99.00" in p for p in broken('<MtBordHt V="70.50"/>', '<MtBordHt V="99.00"/>')
    )
    cle1 = text.split('<Cle1 V="')[1][0]
    wrong = str((int(cle1) + 1) % 10)
    assert any("Cle1" in p for p in broken(f'<Cle1 V="{cle1}"/>', f'<Cle1 V="{wrong}"/>'))
    assert any("Adr2 manque" in p for p in broken('<Adr2 V="29 ROUTE DE METEREN"/>', ""))
    assert any("CP « 5927 »" in p for p in broken('<CP V="59270"/>', '<CP V="5927"/>'))
    assert any("TypBord" in p for p in broken('<TypBord V="06"/>', '<TypBord V="04"/>'))
    assert any("inattendu" in p for p in broken("<Majo ", '<Bidule V="1"/><Majo '))
    shutil.copy(source, tmp_path / "same.xml")
    assert pes_check(tmp_path / "same.xml") == []


def test_the_query_count_does_not_grow_with_the_invoices(world):
    authority, account, settings, run, agent = world

    def generate(count: int, code: int) -> int:
        run = published_run(authority)
        for n in range(count):
            holder = another_account(authority, f"{code + n:05d}")
            invoice = run_invoice(run, holder, code + n)
            if n % 2:
                debit(invoice, rum=f"RUM-{code + n}", dates=[D(2027, 1, 15), D(2027, 2, 15)])
        with CaptureQueriesContext(connection) as captured:
            pes_file_generate(run=run, by=agent)
        return len(captured)

    generate(1, 50)  # the exercice's numbering is created once
    assert generate(3, 100) == generate(12, 200)


def test_the_command_prints_a_french_summary(world, capsys):
    authority, account, settings, run, agent = world
    Agent.objects.create(authority=authority, user=agent, role=AgentRole.FACTURATION)
    run_invoice(run, account, 1)
    with pytest.raises(CommandError, match="n'est pas un agent actif"):
        call_command("pes_generate", str(run.pk), "--agent", "inconnu@example.org")
    call_command("pes_generate", str(run.pk), "--agent", agent.email)
    out = capsys.readouterr().out
    assert "1 fichier PES généré (bordereau 1) : 1 facture, 70,50\u00a0€ TTC" in out
    assert AuditEntry.objects.get(action="pes_file.generate").actor == agent
    call_command("pes_generate", str(run.pk))  # unattended: no agent, no audit row
    assert AuditEntry.objects.filter(action="pes_file.generate").count() == 1
    with pytest.raises(CommandError, match="Aucune facturation"):
        call_command("pes_generate", "999999")
    PesFile.objects.update(status=PesFileStatus.TRANSMITTED)
    with pytest.raises(CommandError, match="transmis au comptable public"):
        call_command("pes_generate", str(run.pk))


def test_the_demo_ccfi_is_set_up_for_pes_and_pilat_collects_in_regie():
    ccfi, _account = ccfi_world()
    pilat, _commune = pilat_world()
    settings = demo_treasury_load(authority=ccfi)
    assert settings.siret == "20004094700190" and luhn_valid(settings.siret)
    assert settings_missing(settings) == []
    assert demo_treasury_load(authority=pilat).collection_mode == CollectionMode.REGIE
    assert PublicAccountingSettings.objects.count() == 2


def test_a_file_that_fails_the_check_is_not_offered_and_says_which_invoice(world):
    authority, account, settings, run, agent = world
    account.first_name = ""  # a physical person without a first name: Hélios rejects it
    account.save(update_fields=["first_name"])
    invoice = run_invoice(run, account, 1)

    with pytest.raises(TreasuryError) as refused:
        pes_file_generate(run=run, by=agent)

    assert refused.value.message.startswith(
        "Le fichier PES du bordereau 1 ne passe pas le contrôle"
    )
    assert f"(facture {invoice.number}) : Prenom est requis pour une personne physique" in (
        refused.value.message
    )
    assert PesFile.objects.count() == 0
    assert pes_folder_files(authority) == []
    # The number was not used: the next rôle takes number 1.
    account.first_name = "Pierre"
    account.save(update_fields=["first_name"])
    assert pes_file_generate(run=run, by=agent)[0].bordereau == 1


def test_siret_and_poste_are_checked_on_the_settings(world):
    authority, account, settings, run, agent = world
    settings.full_clean()
    settings.siret = "20004094700191"
    settings.poste_code = "59030"
    with pytest.raises(ValidationError) as invalid:
        settings.full_clean()
    assert invalid.value.message_dict["siret"] == [
        "Ce SIRET n'est pas valide (sa clé de contrôle ne correspond pas)."
    ]
    assert "6 ou 7 chiffres" in invalid.value.message_dict["poste_code"][0]
    assert luhn_valid("20004094700190") and not luhn_valid("2000409470019A")


def test_the_sequence_of_a_debit_follows_the_mandates_history():
    def debits(first_due, last_due, dues, status=MandateStatus.ACTIVE):
        mandate = SimpleNamespace(status=status)
        return [
            SimpleNamespace(
                mandate=mandate, due_on=d, mandate_first_due=first_due, mandate_last_due=last_due
            )
            for d in dues
        ]

    assert sequence_of(debits(D(2027, 1, 15), D(2027, 3, 15), [D(2027, 1, 15)])) == "02"
    assert sequence_of(debits(D(2026, 1, 15), D(2027, 3, 15), [D(2027, 1, 15)])) == "03"
    revoked = debits(
        D(2026, 1, 15), D(2027, 3, 15), [D(2027, 2, 15), D(2027, 3, 15)], MandateStatus.REVOKED
    )
    assert sequence_of(revoked) == "04"


def test_the_files_are_read_per_authority_and_per_run(world):
    authority, account, settings, run, agent = world
    run_invoice(run, account, 1)
    [pes_file] = pes_file_generate(run=run, by=agent)
    other, _commune = pilat_world()
    pes_settings(other)
    other_run = published_run(other)
    other_account = another_account(other, "00009")
    run_invoice(other_run, other_account, 9)
    pes_file_generate(run=other_run, by=agent)

    assert list(pes_files_of_authority(authority)) == [pes_file]
    assert list(pes_files_of_run(run)) == [pes_file]
    assert public_accounting_settings_of(authority) == settings
