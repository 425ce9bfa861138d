import datetime

import pytest
from django.core.management import CommandError, call_command

from levee.billing.models import BillingRun, Invoice, InvoiceStatus, RunKind, RunStatus
from levee.mailing.models import OutboxMessage
from testkit import ccfi_world

from .billing_builders import intrude, make_households, make_tariff

D = datetime.date


@pytest.fixture
def ccfi(db):
    authority, account = ccfi_world()
    account.subscriptions.all().delete()
    make_tariff(authority)
    return authority


def run_command(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command("billing_run", *args, stdout=out)
    return out.getvalue()


def test_the_command_bills_a_year_and_shows_the_progress(ccfi):
    make_households(ccfi, 3)
    out = run_command(
        "--authority", "flandre-interieure", "--year", "2023", "--issued-on", "2023-07-02"
    )
    run = BillingRun.objects.get()
    assert (run.kind, run.status, run.issued_on) == (RunKind.REAL, RunStatus.DONE, D(2023, 7, 2))
    assert "Facturation réelle 2023" in out
    assert "3/3 factures calculées" in out and "3/3 factures publiées" in out
    assert "3 factures calculées." in out
    assert Invoice.objects.filter(status=InvoiceStatus.OPEN).count() == 3


def test_the_command_runs_a_simulation_of_a_half_year(ccfi):
    make_households(ccfi, 2)
    out = run_command(
        "--authority",
        "flandre-interieure",
        "--year",
        "2023",
        "--half",
        "1",
        "--simulation",
        "--issued-on",
        "2023-01-15",
    )
    run = BillingRun.objects.get()
    assert (run.kind, run.label) == (RunKind.SIMULATION, "1er semestre 2023")
    assert "Facture à blanc 1er semestre 2023" in out
    assert Invoice.objects.filter(status=InvoiceStatus.SIMULATED, number="").count() == 2
    assert not OutboxMessage.objects.exists()


def test_the_command_resumes_a_failed_run(ccfi):
    subscriptions = make_households(ccfi, 3)
    intruder = intrude(ccfi, subscriptions[0], "2300240000002")
    with pytest.raises(CommandError, match="--resume"):
        run_command(
            "--authority", "flandre-interieure", "--year", "2023", "--issued-on", "2023-07-02"
        )
    run = BillingRun.objects.get()
    assert run.status == RunStatus.FAILED
    intruder.delete()
    out = run_command("--resume", str(run.pk))
    run.refresh_from_db()
    assert run.status == RunStatus.DONE and "terminée" in out
    assert sorted(Invoice.objects.filter(run=run).values_list("number", flat=True)) == [
        "2300240000001",
        "2300240000002",
        "2300240000003",
    ]
    assert "déjà terminée" in run_command("--resume", str(run.pk))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--year", "2023"], "Indiquez --authority et --year, ou --resume."),
        (["--authority", "inconnue", "--year", "2023"], "Aucune collectivité n'a le slug"),
        (["--authority", "flandre-interieure", "--year", "2022"], "Aucune grille tarifaire"),
        (
            ["--authority", "flandre-interieure", "--year", "2023", "--issued-on", "02/07/2023"],
            "Date invalide « 02/07/2023 »",
        ),
        (["--resume", "999"], "Aucune facturation n'a l'identifiant 999."),
    ],
)
def test_the_command_explains_what_it_cannot_do(ccfi, args, message):
    with pytest.raises(CommandError, match=message):
        run_command(*args)
    assert not Invoice.objects.exists()
