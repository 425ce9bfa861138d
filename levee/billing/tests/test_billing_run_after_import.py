"""A real run never bills again the days of invoices brought from the previous billing
software (invoices without a run), as the demo's past invoices are."""

import datetime

import pytest

from levee.billing.models import BillingRun, InvoiceStatus, RunKind
from levee.billing.services import BillingError, billing_run_create
from testkit import ccfi_world

from .factories import make_invoice, make_tariff

pytestmark = pytest.mark.django_db


@pytest.fixture
def imported(db):
    authority, account = ccfi_world()
    make_tariff(authority, 2026)
    return make_invoice(
        account,
        number="2600240000001",
        issued_on=datetime.date(2026, 7, 2),
        total_cents=8794,
        period=(datetime.date(2026, 1, 1), datetime.date(2026, 6, 30)),
    )


def create(invoice, kind, half):
    return billing_run_create(
        authority=invoice.authority,
        kind=kind,
        year=2026,
        half=half,
        issued_on=datetime.date(2026, 12, 1),
        enqueue=False,
    )


def test_a_real_run_over_imported_invoices_is_refused_with_the_invoice_named(imported):
    for half in (None, 1):
        with pytest.raises(BillingError) as refused:
            create(imported, RunKind.REAL, half)
        assert "2600240000001 du 02/07/2026" in str(refused.value)
    assert not BillingRun.objects.exists()


def test_the_period_after_them_and_a_simulation_can_be_run(imported):
    assert create(imported, RunKind.REAL, 2).period_start == datetime.date(2026, 7, 1)
    assert create(imported, RunKind.SIMULATION, None).kind == RunKind.SIMULATION


def test_a_cancelled_invoice_leaves_its_period_to_bill(imported):
    imported.status = InvoiceStatus.CANCELLED
    imported.save(update_fields=["status"])
    assert create(imported, RunKind.REAL, 1).kind == RunKind.REAL
