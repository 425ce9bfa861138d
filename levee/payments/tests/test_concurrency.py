"""Notifications arriving at the same moment, in real transactions (PostgreSQL: SQLite
serialises writers, so the race needs PostgreSQL's row locks)."""

import threading

import pytest
from django.db import connections
from django.utils import timezone

from levee.billing.models import Invoice, InvoiceStatus
from levee.payments.gateways import Outcome, Status
from levee.payments.models import Payment, PaymentMethod, PaymentStatus
from levee.payments.services import payment_settle

from .conftest import make_payment

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgresql]


def settle_at_once(payments):
    start = threading.Barrier(len(payments))
    paid = Status(Outcome.PAID, method=PaymentMethod.CARD, paid_at=timezone.now())

    def notification(payment):
        try:
            start.wait()
            payment_settle(payment=payment, status=paid, now=timezone.now())
        finally:
            connections.close_all()

    threads = [threading.Thread(target=notification, args=[p]) for p in payments]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)


def test_two_payments_of_one_invoice_paid_at_once_pay_it_once(world):
    first = make_payment(world.invoice)
    second = make_payment(world.invoice, status=PaymentStatus.EXPIRED)
    settle_at_once([first, second])
    statuses = sorted(Payment.objects.values_list("status", flat=True))
    assert statuses == [PaymentStatus.PAID, PaymentStatus.DUPLICATE]
    assert Invoice.objects.get(pk=world.invoice.pk).status == InvoiceStatus.PAID


def test_the_same_notification_twice_at_once_settles_once(world):
    payment = make_payment(world.invoice)
    settle_at_once([payment, Payment.objects.get(pk=payment.pk)])
    payment.refresh_from_db()
    assert (payment.status, payment.checks) == (PaymentStatus.PAID, 1)
    assert Invoice.objects.get(pk=world.invoice.pk).status == InvoiceStatus.PAID
