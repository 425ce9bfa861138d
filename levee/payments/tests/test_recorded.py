"""Payments recorded by an agent (a cheque, cash, a transfer…): they add up on the invoice,
which is « réglée » on the day of the one completing it; the rest stays payable online
(the online payment asks what is left); a trop-perçu is listed to the agents; the same
cheque is never recorded twice; the resident gets the « Reçu de paiement »."""

import datetime
import threading

import pytest
from django.db import IntegrityError, connections, transaction
from django.utils import timezone

from levee.audit.models import AuditEntry
from levee.audit.sentences import entry_text
from levee.billing.models import Invoice, InvoiceStatus
from levee.mailing.models import OutboxMessage
from levee.payments.gateways import Outcome, Status
from levee.payments.models import (
    Payment,
    PaymentChannel,
    PaymentMethod,
    PaymentReceipt,
    PaymentStatus,
    SandboxTransaction,
)
from levee.payments.recorded import PaymentRefused, payment_record
from levee.payments.selectors import payments_to_check, settlement_state
from levee.payments.services import payment_settle, payment_start
from testkit import make_user

from .conftest import make_invoice, make_payment

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
YESTERDAY = TODAY - datetime.timedelta(days=1)


@pytest.fixture
def agent(world):
    return make_user("facturation@flandre.example.org")


def record(world, agent, *, amount=8794, method=PaymentMethod.CHEQUE, reference="1234567", **kw):
    return payment_record(
        invoice=kw.pop("invoice", world.invoice),
        method=method,
        paid_on=kw.pop("paid_on", YESTERDAY),
        reference=reference,
        amount_cents=amount,
        by=agent,
        **kw,
    )


def invoice_of(world) -> Invoice:
    return Invoice.objects.get(pk=world.invoice.pk)


def receipts():
    return list(OutboxMessage.objects.filter(template="payment_receipt").order_by("pk"))


def test_a_cheque_of_the_whole_amount_settles_the_invoice_on_its_day(world, agent):
    payment = record(world, agent)
    invoice = invoice_of(world)
    assert invoice.status == InvoiceStatus.PAID
    assert timezone.localdate(invoice.paid_at) == YESTERDAY
    assert invoice.paid_by == PaymentMethod.CHEQUE
    assert (payment.channel, payment.status, payment.gateway) == (
        PaymentChannel.AGENT,
        PaymentStatus.PAID,
        "",
    )
    assert payment.recorded_by == agent and payment.excess_cents == 0
    [message] = receipts()
    body = " ".join(message.body_text.split())
    assert "Montant payé : 87,94 €" in body
    assert "Moyen de paiement : chèque" in body
    assert "Votre facture de 87,94 € est réglée." in body
    assert PaymentReceipt.objects.get().payment_id == payment.pk
    entry = AuditEntry.objects.get(action="payment.record")
    assert entry.actor == agent
    assert entry_text(entry) == (
        f"règlement de 87,94 € enregistré sur la facture 2300240069928 : chèque n° 1234567 "
        f"du {YESTERDAY:%d/%m/%Y}, facture réglée"
    )


def test_two_parts_add_up_and_the_second_completes_the_invoice(world, agent):
    record(world, agent, amount=5000, method=PaymentMethod.TRANSFER, reference="VIR-1")
    invoice = invoice_of(world)
    assert invoice.status == InvoiceStatus.OPEN
    state = settlement_state(invoice, today=TODAY)
    assert (state.state, state.left_cents, state.partly_paid) == ("payable", 3794, True)
    [message] = receipts()
    assert "Il reste 37,94 € à payer sur votre facture de 87,94 €." in " ".join(
        message.body_text.split()
    )
    entry = AuditEntry.objects.get(action="payment.record")
    assert entry_text(entry).endswith(
        "virement n° VIR-1 du " + f"{YESTERDAY:%d/%m/%Y}, reste à payer 37,94 €"
    )

    record(world, agent, amount=3794, method=PaymentMethod.CASH, reference="", paid_on=TODAY)
    invoice = invoice_of(world)
    assert invoice.status == InvoiceStatus.PAID
    assert timezone.localdate(invoice.paid_at) == TODAY  # the payment that completed it
    assert invoice.paid_by == PaymentMethod.CASH
    assert len(receipts()) == 2


def test_the_rest_is_paid_online_for_what_is_left(world, agent, settings):
    settings.PAYMENT_SANDBOX_ONLY = True
    record(world, agent, amount=5000, reference="CHQ-1")
    payment_start(invoice=world.invoice, email="dupont59@gmail.com", today=TODAY)
    online = Payment.objects.get(channel=PaymentChannel.ONLINE)
    assert online.amount_cents == 3794
    assert SandboxTransaction.objects.get().amount_cents == 3794
    payment_settle(
        payment=online,
        status=Status(Outcome.PAID, method=PaymentMethod.CARD, amount_cents=3794),
        now=timezone.now(),
    )
    online.refresh_from_db()
    assert (online.status, online.excess_cents) == (PaymentStatus.PAID, 0)
    assert invoice_of(world).status == InvoiceStatus.PAID
    assert not payments_to_check(world.authority).exists()


def test_a_cheque_recorded_while_an_online_payment_waits_makes_a_trop_percu(world, agent):
    online = make_payment(world.invoice)  # asked 87,94 €
    record(world, agent, amount=2000, reference="CHQ-2")
    payment_settle(
        payment=online,
        status=Status(Outcome.PAID, method=PaymentMethod.CARD, amount_cents=8794),
        now=timezone.now(),
    )
    online.refresh_from_db()
    assert (online.status, online.excess_cents) == (PaymentStatus.PAID, 2000)
    assert invoice_of(world).status == InvoiceStatus.PAID
    assert list(payments_to_check(world.authority)) == [online]


def test_a_second_online_payment_of_a_paid_invoice_is_still_paid_twice(world, agent):
    record(world, agent)
    online = make_payment(world.invoice)
    payment_settle(
        payment=online,
        status=Status(Outcome.PAID, method=PaymentMethod.CARD, amount_cents=8794),
        now=timezone.now(),
    )
    online.refresh_from_db()
    assert online.status == PaymentStatus.DUPLICATE
    assert list(payments_to_check(world.authority)) == [online]


def test_more_than_the_total_is_recorded_and_flagged(world, agent):
    record(world, agent, amount=5000, reference="CHQ-1")
    second = record(world, agent, amount=5000, reference="CHQ-2")
    assert second.excess_cents == 1206
    assert invoice_of(world).status == InvoiceStatus.PAID
    assert list(payments_to_check(world.authority)) == [second]
    # On an invoice paid already, all of the amount is trop-perçu.
    third = record(world, agent, amount=1000, method=PaymentMethod.CASH, reference="")
    assert third.excess_cents == 1000
    assert "trop-perçu de 10,00 €" in entry_text(AuditEntry.objects.order_by("-pk").first())


@pytest.mark.parametrize(
    "kw, field, message",
    [
        ({"amount": 0}, "amount", "Le montant doit être supérieur à 0,00 €."),
        ({"amount": -500}, "amount", "Le montant doit être supérieur à 0,00 €."),
        (
            {"paid_on": TODAY + datetime.timedelta(days=1)},
            "paid_on",
            "La date du règlement ne peut pas être dans le futur",
        ),
        ({"reference": ""}, "reference", "Indiquez la référence du règlement"),
        (
            {"reference": " ", "method": PaymentMethod.TRANSFER},
            "reference",
            "Indiquez la référence du règlement",
        ),
        ({"method": "bitcoin"}, "method", "Choisissez le mode de règlement."),
    ],
)
def test_bad_input_is_refused_next_to_its_field(world, agent, kw, field, message):
    with pytest.raises(PaymentRefused) as refusal:
        record(world, agent, **kw)
    assert refusal.value.field == field
    assert message in refusal.value.message
    assert not Payment.objects.exists() and not receipts()
    assert invoice_of(world).status == InvoiceStatus.OPEN


def test_a_cancelled_invoice_takes_no_payment(world, agent):
    Invoice.objects.filter(pk=world.invoice.pk).update(status=InvoiceStatus.CANCELLED)
    with pytest.raises(PaymentRefused) as refusal:
        record(world, agent)
    assert refusal.value.field is None
    assert refusal.value.message == (
        "La facture 2300240069928 est annulée : aucun règlement ne peut y être enregistré."
    )
    assert not Payment.objects.exists()


def test_the_same_cheque_twice_is_refused(world, agent):
    record(world, agent, amount=2000)
    with pytest.raises(PaymentRefused) as refusal:
        record(world, agent, amount=2000)
    assert "Ce règlement est déjà enregistré sur la facture 2300240069928 : chèque n° 1234567" in (
        refusal.value.message
    )
    assert Payment.objects.count() == 1
    # Cash without a reference: the same day and amount is the same payment.
    record(world, agent, amount=1000, method=PaymentMethod.CASH, reference="")
    with pytest.raises(PaymentRefused) as refusal:
        record(world, agent, amount=1000, method=PaymentMethod.CASH, reference="")
    assert "indiquez sa référence" in refusal.value.message
    assert Payment.objects.count() == 2


def test_the_database_refuses_the_same_reference_twice_on_an_invoice(world, agent):
    """What stops the second of two agents recording the same cheque at once, when both
    checked before either wrote (the row lock orders them on PostgreSQL)."""
    record(world, agent, amount=2000)
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.create(
            authority=world.authority,
            invoice=world.invoice,
            account=world.account,
            channel=PaymentChannel.AGENT,
            status=PaymentStatus.PAID,
            method=PaymentMethod.CHEQUE,
            reference="1234567",
            amount_cents=2000,
            paid_at=timezone.now(),
        )


def test_a_race_lost_after_the_checks_is_told_in_french(world, agent, monkeypatch):
    """The other agent's cheque is written between this one's checks and its write: the
    unique reference refuses it, and the refusal says what is already there."""
    from levee.payments import recorded

    first = {"done": False}
    real = recorded._same_payment

    def other_agent_writes_first(invoice, **kw):
        if not first["done"]:
            first["done"] = True
            Payment.objects.create(
                authority=world.authority,
                invoice=world.invoice,
                account=world.account,
                channel=PaymentChannel.AGENT,
                status=PaymentStatus.PAID,
                method=PaymentMethod.CHEQUE,
                reference="1234567",
                amount_cents=8794,
                paid_at=recorded.paid_at_of(YESTERDAY),
            )
            return None
        return real(invoice, **kw)

    monkeypatch.setattr(recorded, "_same_payment", other_agent_writes_first)
    with pytest.raises(PaymentRefused) as refusal:
        record(world, agent)
    assert "déjà enregistré sur la facture 2300240069928 : chèque n° 1234567" in (
        refusal.value.message
    )
    assert not receipts()  # (the other agent's write is rolled back with this test's)


def test_another_invoice_takes_the_same_cheque_number(world, agent):
    other = make_invoice(world.account, number="2300240069929")
    record(world, agent, amount=2000)
    record(world, agent, amount=2000, invoice=other)
    assert Payment.objects.count() == 2


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_two_agents_recording_the_same_cheque_at_once_record_it_once(world, agent):
    start = threading.Barrier(2)
    outcomes = []

    def recording():
        try:
            start.wait()
            record(world, agent)
            outcomes.append("recorded")
        except PaymentRefused:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=recording) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["recorded", "refused"]
    assert Payment.objects.count() == 1
    assert invoice_of(world).status == InvoiceStatus.PAID
    assert len(receipts()) == 1
