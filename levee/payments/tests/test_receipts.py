"""« Reçu de paiement »: one email for every confirmed payment, an online payment settled
paid or a direct debit taken, sent once whatever repeats."""

import datetime

import pytest
from django.utils import timezone

from levee.billing.models import InvoiceStatus
from levee.lib.periodic import periodic_jobs
from levee.mailing.models import OutboxMessage
from levee.payments.gateways import Outcome, Status
from levee.payments.models import (
    DebitSchedule,
    DebitStatus,
    Mandate,
    MandateStatus,
    PaymentMethod,
    PaymentReceipt,
    PaymentStatus,
    ScheduledDebit,
)
from levee.payments.receipts import debit_receipts_send
from levee.payments.services import payment_settle
from levee.treasury.models import CollectionMode, PublicAccountingSettings
from testkit import make_user

from .conftest import make_payment

pytestmark = pytest.mark.django_db
PAID_AT = datetime.datetime(2023, 7, 12, 10, 30, tzinfo=datetime.UTC)


def receipts():
    return list(OutboxMessage.objects.filter(template="payment_receipt").order_by("pk"))


def paid(amount_cents=8794):
    return Status(
        Outcome.PAID,
        method=PaymentMethod.CARD,
        paid_at=PAID_AT,
        amount_cents=amount_cents,
        transaction_id="T-1",
    )


def test_an_online_payment_confirmed_sends_one_receipt(world):
    payment = make_payment(world.invoice)
    payment_settle(payment=payment, status=paid(), now=timezone.now())
    [message] = receipts()
    assert message.to == "dupont59@gmail.com"
    assert message.subject.startswith("Reçu de paiement — facture n° 2300240069928")
    body = " ".join(message.body_text.split())
    assert "Facture n° : 2300240069928" in body
    assert "Montant payé : 87,94 €" in body
    assert "Date du paiement : 12 juillet 2023" in body
    assert "Moyen de paiement : carte bancaire (paiement en ligne)" in body
    assert "Votre facture de 87,94 € est réglée." in body
    assert "Reçu de paiement" in message.body_html
    receipt = PaymentReceipt.objects.get()
    assert (receipt.payment_id, receipt.amount_cents, receipt.method) == (
        payment.pk,
        8794,
        PaymentMethod.CARD,
    )


def test_a_repeated_notification_sends_no_second_receipt(world):
    payment = make_payment(world.invoice)
    for _ in range(3):
        payment_settle(payment=payment, status=paid(), now=timezone.now())
    assert len(receipts()) == 1


def test_a_payment_refused_or_paid_twice_gets_no_receipt(world):
    refused = make_payment(world.invoice)
    payment_settle(payment=refused, status=Status(Outcome.REFUSED), now=timezone.now())
    assert receipts() == []
    first = make_payment(world.invoice)
    second = make_payment(world.invoice, status=PaymentStatus.EXPIRED)
    payment_settle(payment=first, status=paid(), now=timezone.now())
    payment_settle(payment=second, status=paid(), now=timezone.now())
    second.refresh_from_db()
    assert second.status == PaymentStatus.DUPLICATE
    assert len(receipts()) == 1


def test_the_receipt_goes_to_the_logins_when_the_account_has_no_email(world):
    world.account.email = ""
    world.account.save(update_fields=["email"])
    make_user("marie@example.org", accounts=[world.account])
    payment_settle(payment=make_payment(world.invoice), status=paid(), now=timezone.now())
    assert sorted(m.to for m in receipts()) == ["dupont59@gmail.com", "marie@example.org"]


@pytest.fixture
def debited(world):
    """The invoice paid by a mandate in three debits: 10 July, 10 August, 10 September 2023,
    its authority in PES mode (the public accountant debits them on their dates)."""
    PublicAccountingSettings.objects.update_or_create(
        authority=world.authority, defaults={"collection_mode": CollectionMode.PES}
    )
    mandate = Mandate.objects.create(
        authority=world.authority,
        account=world.account,
        rum="RUM-1",
        creditor_identifier="FR12ZZZ123456",
        schedule=DebitSchedule.MONTHLY,
        holder_name="DUPONT Pierre",
        iban="FR7630006000011234567890189",
        bic="AGRIFRPP",
        signed_on=datetime.date(2023, 6, 1),
        status=MandateStatus.ACTIVE,
    )
    for month, cents in ((7, 2932), (8, 2931), (9, 2931)):
        ScheduledDebit.objects.create(
            authority=world.authority,
            mandate=mandate,
            invoice=world.invoice,
            due_on=datetime.date(2023, month, 10),
            amount_cents=cents,
        )
    return world


def test_a_debit_taken_sends_its_receipt_once_on_its_day(debited):
    assert debit_receipts_send(today=datetime.date(2023, 7, 9)) == 0
    assert debit_receipts_send(today=datetime.date(2023, 7, 10)) == 1
    assert debit_receipts_send(today=datetime.date(2023, 7, 11)) == 0
    [message] = receipts()
    body = " ".join(message.body_text.split())
    assert "Montant payé : 29,32 €" in body
    assert "Date du paiement : 10 juillet 2023" in body
    assert "Moyen de paiement : prélèvement SEPA" in body
    assert "2 autres prélèvements de cette facture sont prévus selon votre échéancier." in body
    assert debit_receipts_send(today=datetime.date(2023, 9, 12)) == 1  # August is too old
    body = " ".join(receipts()[-1].body_text.split())
    assert "C'était le dernier prélèvement de cette facture." in body


def test_a_cancelled_debit_or_invoice_gets_no_receipt(debited):
    ScheduledDebit.objects.filter(due_on__month=7).update(status=DebitStatus.CANCELLED)
    assert debit_receipts_send(today=datetime.date(2023, 7, 10)) == 0
    debited.invoice.status = InvoiceStatus.CANCELLED
    debited.invoice.save(update_fields=["status"])
    assert debit_receipts_send(today=datetime.date(2023, 8, 10)) == 0
    assert receipts() == []


def test_the_periodic_job_acknowledges_the_debits_of_the_last_days(debited):
    today = timezone.localdate()
    ScheduledDebit.objects.filter(due_on__month=7).update(due_on=today)
    [job] = [j for j in periodic_jobs() if j.name == "debit receipts"]
    assert job.run() == "1 debit receipt(s) enqueued"
    assert job.run() == "0 debit receipt(s) enqueued"
    assert PaymentReceipt.objects.get().debit.due_on == today


def test_in_regie_mode_a_debit_is_taken_only_once_its_file_is_transmitted(debited):
    PublicAccountingSettings.objects.filter(authority=debited.authority).update(
        collection_mode=CollectionMode.REGIE
    )
    assert debit_receipts_send(today=datetime.date(2023, 7, 10)) == 0
    ScheduledDebit.objects.filter(due_on__month=7).update(status=DebitStatus.SENT)
    assert debit_receipts_send(today=datetime.date(2023, 7, 10)) == 1
    ScheduledDebit.objects.filter(due_on__month=8).update(status=DebitStatus.REJECTED)
    assert debit_receipts_send(today=datetime.date(2023, 8, 10)) == 0
    assert len(receipts()) == 1
