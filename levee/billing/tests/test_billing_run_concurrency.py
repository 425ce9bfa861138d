"""Several workers executing the same billing run at once, in real transactions
(PostgreSQL: SQLite serialises writers, so the race needs PostgreSQL's row locks)."""

import datetime
import threading

import pytest
from django.db import connections

from levee.billing.models import BillingRun, Invoice, InvoiceSequence, RunKind, RunStatus
from levee.billing.services import (
    BillingError,
    billing_run_execute,
    invoice_sequence_first_value_set,
)
from levee.mailing.models import OutboxMessage
from testkit import ccfi_world

from .billing_builders import make_households, make_tariff, run_created

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgresql]

D = datetime.date


@pytest.fixture
def ccfi():
    authority, account = ccfi_world()
    account.subscriptions.all().delete()
    make_tariff(authority)
    return authority


def at_once(count, work):
    """Runs `work()` in `count` threads released together; returns what each returned."""
    start = threading.Barrier(count)
    outcomes = []

    def worker():
        try:
            start.wait()
            outcomes.append(work())
        except Exception as exc:  # noqa: BLE001 - the test asserts on it
            outcomes.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def test_four_workers_executing_one_run_number_every_invoice_once_without_a_hole(ccfi):
    make_households(ccfi, 40)
    invoice_sequence_first_value_set(authority=ccfi, year=2023, first_value=69928)
    run = run_created(ccfi, kind=RunKind.REAL)
    outcomes = at_once(4, lambda: billing_run_execute(run_id=run.pk, chunk_size=3).status)
    assert all(o == RunStatus.DONE for o in outcomes), outcomes
    run.refresh_from_db()
    assert (run.status, run.invoices_done, run.invoices_published) == (RunStatus.DONE, 40, 40)
    numbers = sorted(Invoice.objects.filter(run=run).values_list("number", flat=True))
    assert numbers == [f"2300240{n:06d}" for n in range(69928, 69928 + 40)]
    assert Invoice.objects.filter(run=run).values("subscription").distinct().count() == 40
    assert InvoiceSequence.objects.get(authority=ccfi, year=2023).next_value == 69968
    assert OutboxMessage.objects.count() == 40
    assert OutboxMessage.objects.values("to").distinct().count() == 40


def test_a_simulation_and_a_real_run_at_once_share_no_number(ccfi):
    make_households(ccfi, 20)
    runs = [
        run_created(ccfi, kind=kind)
        for kind in (RunKind.SIMULATION, RunKind.REAL, RunKind.SIMULATION)
    ]
    ids = iter([r.pk for r in runs] + [runs[1].pk])
    lock = threading.Lock()

    def work():
        with lock:
            run_id = next(ids)
        return billing_run_execute(run_id=run_id, chunk_size=4).status

    assert at_once(4, work) == [RunStatus.DONE] * 4
    real = Invoice.objects.filter(run=runs[1])
    assert sorted(int(n[-6:]) for n in real.values_list("number", flat=True)) == list(range(1, 21))
    assert Invoice.objects.filter(run__kind=RunKind.SIMULATION, number="").count() == 40


def test_two_agents_creating_the_same_real_run_at_once_get_one_run(ccfi):
    make_households(ccfi, 2)

    def work():
        return run_created(ccfi, kind=RunKind.REAL)

    outcomes = at_once(2, work)
    assert sum(isinstance(o, BillingRun) for o in outcomes) == 1
    refused = [o for o in outcomes if isinstance(o, BillingError)]
    assert len(refused) == 1 and "couvre déjà cette période" in refused[0].message
