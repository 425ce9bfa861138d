"""The demo holds the CCFI's first collections file (`levee/payments/demo.py`): a cheque
settling an invoice, a transfer paying part of another (the rest payable online), a line
for an unknown invoice; the tutorials' invoices (seed 004's, Mme MARTIN's) untouched."""

import pytest
from django.utils import timezone

from levee.billing.models import Invoice, InvoiceStatus
from levee.payments.models import CollectionImport, Payment, PaymentChannel
from levee.payments.selectors import settlement_state

pytestmark = pytest.mark.django_db


def test_the_demo_has_recorded_payments(demo_world):
    imported = CollectionImport.objects.get(authority__slug="flandre-interieure")
    assert (imported.lines, imported.applied) == (3, 2)
    assert [e["outcome"] for e in imported.report] == ["applied", "applied", "ignored"]
    assert imported.report[2]["message"] == (
        "Facture « 2199999999999 » inconnue dans la collectivité."
    )
    settled, part = (
        Payment.objects.filter(channel=PaymentChannel.IMPORT)
        .select_related("invoice")
        .order_by("pk")
    )
    assert settled.invoice.status == InvoiceStatus.PAID
    state = settlement_state(part.invoice, today=timezone.localdate())
    assert part.invoice.status == InvoiceStatus.OPEN and state.partly_paid
    assert state.left_cents == part.invoice.total_cents - part.amount_cents > 0
    seed_004 = Invoice.objects.get(number="2300240069928")
    assert seed_004.status == InvoiceStatus.OPEN and not seed_004.payments.exists()
    assert not Payment.objects.filter(invoice__account__code__in=["00001", "00002"]).exists()
