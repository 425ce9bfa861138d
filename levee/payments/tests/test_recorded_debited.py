"""A payment recorded on an invoice paid by direct debit (a cheque at the counter, a
transfer): its planned debits that no SEPA file carries yet take only what is left, the
last ones first; a debit already in a file is the bank's and never changes."""

import datetime

import pytest
from django.utils import timezone

from levee.audit.models import AuditEntry
from levee.billing.models import InvoiceStatus
from levee.payments.models import DebitStatus, PaymentMethod, PaymentReceipt, ScheduledDebit
from levee.payments.receipts import debit_receipts_send
from levee.payments.recorded import payment_record
from levee.treasury.models import CollectionMode, PublicAccountingSettings
from testkit import make_user

from .debit_world import RegieWorld

pytestmark = pytest.mark.django_db
YESTERDAY = timezone.localdate() - datetime.timedelta(days=1)


@pytest.fixture
def regie(db):
    world = RegieWorld()
    world.agent = make_user("agent.pilat@example.org")
    return world


def debits_of(invoice):
    return list(
        ScheduledDebit.objects.filter(invoice=invoice)
        .order_by("due_on")
        .values_list("amount_cents", "status")
    )


def record(regie, amount, reference):
    return payment_record(
        invoice=regie.dupont_invoice,
        method=PaymentMethod.CHEQUE,
        paid_on=YESTERDAY,
        reference=reference,
        amount_cents=amount,
        by=regie.agent,
    )


def test_a_cheque_of_part_of_a_debited_invoice_cuts_its_last_debits(regie):
    invoice = regie.dupont_invoice  # 90,00 € in three debits of 30,00 €
    record(regie, 4000, "1111111")
    assert debits_of(invoice) == [
        (3000, DebitStatus.PLANNED),
        (2000, DebitStatus.PLANNED),
        (3000, DebitStatus.CANCELLED),
    ]
    entry = AuditEntry.objects.get(action="payment.record")
    assert entry.after["debits"] == [
        {"due_on": "2027-03-10", "before_cents": 3000, "after_cents": 0},
        {"due_on": "2027-02-10", "before_cents": 3000, "after_cents": 2000},
    ]
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.OPEN
    # The rest by a second cheque: nothing left to debit, the invoice is settled.
    record(regie, 5000, "2222222")
    assert [status for _, status in debits_of(invoice)] == [DebitStatus.CANCELLED] * 3
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID


def test_a_debit_already_in_a_file_stays_as_the_bank_has_it(regie):
    invoice = regie.dupont_invoice
    first = regie.dupont_debits[0]
    ScheduledDebit.objects.filter(pk=first.pk).update(status=DebitStatus.SENT)
    record(regie, 3000, "3333333")  # with the sent 30,00 €: 30,00 € left to debit
    assert debits_of(invoice) == [
        (3000, DebitStatus.SENT),
        (3000, DebitStatus.PLANNED),
        (3000, DebitStatus.CANCELLED),
    ]


def test_an_invoice_not_debited_has_no_debit_to_follow(regie):
    invoice = regie.martin_invoice
    before = debits_of(invoice)
    invoice.direct_debit = False
    invoice.save(update_fields=["direct_debit"])
    payment_record(
        invoice=invoice,
        method=PaymentMethod.CHEQUE,
        paid_on=YESTERDAY,
        reference="4444444",
        amount_cents=1000,
        by=regie.agent,
    )
    assert debits_of(invoice) == before


def test_in_pes_mode_a_debited_invoice_paid_by_cheque_sends_no_debit_receipt(regie):
    """The accountant debits from the rôle; Levée tells the resident each debit taken on its
    date. Paid by cheque meanwhile, the invoice has no debit left to tell."""
    PublicAccountingSettings.objects.filter(authority=regie.authority).update(
        collection_mode=CollectionMode.PES
    )
    record(regie, 9000, "5555555")
    assert debit_receipts_send(today=datetime.date(2027, 3, 11)) == 0
    assert not PaymentReceipt.objects.filter(debit__isnull=False).exists()
    # Martin's debit, not paid otherwise, is told on its date as before.
    assert debit_receipts_send(today=datetime.date(2027, 1, 5)) == 1
