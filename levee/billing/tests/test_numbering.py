"""Invoice numbers: 13 digits, gapless per authority and year, never duplicated — through a
crash in the middle, a rerun, and several workers executing the same run at once."""

import datetime
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from levee.billing.models import BillingRun, Invoice, InvoiceSequence, RunKind, RunStatus
from levee.billing.services import (
    BillingError,
    billing_run_execute,
    invoice_number,
    invoice_sequence_first_value_set,
)
from levee.mailing.models import OutboxMessage
from testkit import ccfi_world

from .billing_builders import intrude, make_households, make_tariff, run_created

D = datetime.date


@pytest.fixture
def ccfi(db):
    authority, account = ccfi_world()
    account.subscriptions.all().delete()  # no bin: the households below are the cast
    make_tariff(authority)
    return authority


def numbers(run) -> list[int]:
    return [int(n[-6:]) for n in Invoice.objects.filter(run=run).values_list("number", flat=True)]


def assert_gapless(run, first: int, count: int):
    got = sorted(numbers(run))
    assert got == list(range(first, first + count))
    assert Invoice.objects.filter(run=run).values("subscription").distinct().count() == count


def test_the_number_is_the_year_the_authority_s_code_and_six_digits():
    assert invoice_number(year=2023, authority_code="00240", value=69928) == "2300240069928"
    assert invoice_number(year=2024, authority_code="240", value=1) == "2400240000001"


def test_the_first_value_of_the_year_is_configurable_before_the_first_real_run(ccfi):
    make_households(ccfi, 3)
    invoice_sequence_first_value_set(authority=ccfi, year=2023, first_value=69928)
    run = billing_run_execute(run_id=run_created(ccfi).pk, chunk_size=2)
    assert sorted(Invoice.objects.filter(run=run).values_list("number", flat=True)) == [
        "2300240069928",
        "2300240069929",
        "2300240069930",
    ]
    sequence = InvoiceSequence.objects.get(authority=ccfi, year=2023)
    assert (sequence.first_value, sequence.next_value) == (69928, 69931)
    with pytest.raises(BillingError, match="déjà numérotées"):
        invoice_sequence_first_value_set(authority=ccfi, year=2023, first_value=1)


def test_a_later_run_of_the_year_goes_on_from_the_last_number(ccfi):
    make_households(ccfi, 3)
    first = billing_run_execute(
        run_id=run_created(ccfi, kind=RunKind.REAL, half=1, issued_on=D(2023, 1, 1)).pk
    )
    second = billing_run_execute(
        run_id=run_created(ccfi, kind=RunKind.REAL, half=2, issued_on=D(2023, 7, 1)).pk
    )
    assert sorted(numbers(first)) == [1, 2, 3] and sorted(numbers(second)) == [4, 5, 6]


def test_a_simulation_takes_no_number(ccfi):
    make_households(ccfi, 2)
    billing_run_execute(
        run_id=run_created(ccfi, kind=RunKind.SIMULATION, half=None, issued_on=D(2023, 1, 1)).pk
    )
    assert not InvoiceSequence.objects.exists() or (InvoiceSequence.objects.get().next_value == 1)
    run = billing_run_execute(run_id=run_created(ccfi).pk)
    assert sorted(numbers(run)) == [1, 2]


def test_a_crash_in_the_middle_keeps_the_committed_chunks_and_a_rerun_fills_in_the_rest(ccfi):
    subscriptions = make_households(ccfi, 7)
    run = run_created(ccfi)
    # Number 4 is taken already (an invoice entered by hand): the second chunk (numbers 3
    # and 4) fails on the unique number, rolls back, and the run stops there.
    intruder = intrude(ccfi, subscriptions[0], "2300240000004")
    failed = billing_run_execute(run_id=run.pk, chunk_size=2)
    assert failed.status == RunStatus.FAILED
    assert "relancez-la pour la reprendre" in failed.message
    assert failed.invoices_done == 2 and sorted(numbers(run)) == [1, 2]
    assert InvoiceSequence.objects.get().next_value == 3
    assert not OutboxMessage.objects.exists()  # nothing published before the end

    intruder.delete()
    resumed = billing_run_execute(run_id=run.pk, chunk_size=2)
    assert resumed.status == RunStatus.DONE, resumed.message
    assert_gapless(run, 1, 7)
    assert resumed.invoices_done == 7 and resumed.invoices_published == 7
    assert OutboxMessage.objects.count() == 7


def test_a_crash_while_publishing_is_resumed_and_sends_each_email_once(ccfi):
    make_households(ccfi, 5)
    run = run_created(ccfi)
    from levee.mailing.services import mail_enqueue_many

    calls = []

    def outbox_down_on_the_second_chunk(**kwargs):
        calls.append(kwargs["messages"])
        if len(calls) == 2:
            raise ConnectionError("relais indisponible")
        return mail_enqueue_many(**kwargs)

    with mock.patch("levee.billing.services.mail_enqueue_many", outbox_down_on_the_second_chunk):
        failed = billing_run_execute(run_id=run.pk, chunk_size=2)
    assert failed.status == RunStatus.FAILED and "relais indisponible" in failed.message
    assert failed.invoices_published == 2 and OutboxMessage.objects.count() == 2
    assert Invoice.objects.filter(run=run, published_at__isnull=False).count() == 2

    done = billing_run_execute(run_id=run.pk, chunk_size=2)
    assert done.status == RunStatus.DONE
    assert Invoice.objects.filter(run=run, published_at__isnull=True).count() == 0
    assert OutboxMessage.objects.count() == 5
    assert OutboxMessage.objects.values("to").distinct().count() == 5
    assert_gapless(run, 1, 5)


def test_a_failed_run_that_numbered_invoices_blocks_a_new_run_of_the_period(ccfi):
    subscriptions = make_households(ccfi, 3)
    intrude(ccfi, subscriptions[0], "2300240000002")
    failed = billing_run_execute(run_id=run_created(ccfi).pk, chunk_size=1)
    assert failed.status == RunStatus.FAILED and failed.invoices_done == 1
    with pytest.raises(BillingError, match="reprenez-la plutôt que d'en créer une autre"):
        run_created(ccfi)
    Invoice.objects.filter(run=failed).delete()
    BillingRun.objects.filter(pk=failed.pk).delete()
    failed_early = billing_run_execute(run_id=run_created(ccfi).pk)
    assert failed_early.status == RunStatus.FAILED and failed_early.invoices_done == 0
    # It failed before billing anything: a new run of the period may replace it.
    assert run_created(ccfi).pk != failed_early.pk


def test_executing_a_run_takes_the_same_number_of_queries_whatever_its_size(ccfi):
    invoice_sequence_first_value_set(authority=ccfi, year=2023, first_value=1)

    def queries_for(count, *, start, half):
        make_households(ccfi, count, start=start)
        run = run_created(ccfi, kind=RunKind.REAL, half=half, issued_on=D(2023, 7, 2))
        with CaptureQueriesContext(connection) as queries:
            done = billing_run_execute(run_id=run.pk, chunk_size=1000)
        assert done.status == RunStatus.DONE and done.invoices_published == done.invoices_done
        return [q["sql"] for q in queries]

    small = queries_for(5, start=1, half=1)
    large = queries_for(60, start=100, half=2)  # bills 65 subscriptions
    # SQLite splits a bulk insert in batches of 999 parameters; PostgreSQL takes it whole.
    if connection.vendor == "postgresql":
        assert len(large) == len(small)
    not_inserts = [[q for q in run if not q.startswith("INSERT")] for run in (small, large)]
    assert len(not_inserts[0]) == len(not_inserts[1])


def test_a_run_stops_with_a_french_message_when_the_year_s_numbers_run_out(ccfi):
    make_households(ccfi, 3)
    invoice_sequence_first_value_set(authority=ccfi, year=2023, first_value=999_999)
    failed = billing_run_execute(run_id=run_created(ccfi).pk, chunk_size=1)
    assert failed.status == RunStatus.FAILED
    assert failed.message.startswith("La numérotation des factures 2023 est épuisée.")
    assert numbers(failed) == [999_999]
