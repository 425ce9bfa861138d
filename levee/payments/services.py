"""Writes of the online payments: start one for an invoice, settle it from its gateway's
status call (the notification, the return page and the periodic job all come here), and
resolve the payments left waiting.

A payment leaves « en attente » once, by a conditional update; an invoice becomes
« réglée » once, by a conditional update under its row lock. So repeated, late or
out-of-order notifications change nothing twice, and an invoice is never paid twice: a
second paid payment is recorded as « payé en double » and logged, never applied.

An invoice may hold payments recorded by the agents (`recorded.py`): they add up, and an
online payment then pays what is left (`SettlementState.left_cents`)."""

import datetime
import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from levee.authorities.hosts import authority_absolute_url
from levee.billing.models import Invoice, InvoiceStatus
from levee.billing.selectors_credit_notes import invoice_net_cents
from levee.payments.events import payment_confirmed_tell
from levee.payments.gateways import GatewayError, Outcome, Status, gateway_for
from levee.payments.models import Payment, PaymentStatus
from levee.payments.receipts import payment_receipt_send
from levee.payments.selectors import (
    MAX_WAIT,
    Settlement,
    invoice_paid_cents,
    payments_due_for_check,
    settlement_state,
)

logger = logging.getLogger(__name__)

FINAL = {
    Outcome.REFUSED: PaymentStatus.REFUSED,
    Outcome.ABANDONED: PaymentStatus.ABANDONED,
    Outcome.EXPIRED: PaymentStatus.EXPIRED,
}


class PaymentNotPossible(Exception):
    """« Régler » cannot start a payment; the message says why, in French."""


NOT_PAYABLE = {
    Settlement.PAID: "Cette facture est déjà réglée.",
    Settlement.DEBITED: "Cette facture sera prélevée sur votre compte bancaire : "
    "il n'y a rien à régler en ligne.",
    Settlement.CLOSED: "Le paiement en ligne de cette facture est clos.",
    Settlement.OFFLINE: "Le paiement en ligne n'est pas proposé par votre collectivité.",
    Settlement.NOTHING_DUE: "Cette facture n'est pas à régler.",
    Settlement.WAITING: "Un paiement de cette facture est en cours de vérification.",
    Settlement.TITLE_PENDING: "Le titre de cette facture est en cours de prise en charge par "
    "le comptable public : elle pourra être réglée en ligne dès qu'il l'aura pris en charge.",
}
UNAVAILABLE = (
    "Le service de paiement ne répond pas pour le moment : votre facture n'a pas été "
    "réglée. Réessayez dans quelques minutes."
)


def payment_start(*, invoice: Invoice, email: str, today: datetime.date) -> str:
    """« Régler »: opens a payment of the invoice at its authority's gateway and returns
    where to send the resident. A payment already waiting is first asked about: resumed
    while the gateway still holds it open, else expired and replaced. Raises
    PaymentNotPossible (already paid, debited, closed, gateway unreachable…)."""
    waiting = Payment.objects.filter(
        authority_id=invoice.authority_id, invoice_id=invoice.pk, status=PaymentStatus.WAITING
    ).first()
    if waiting is not None:
        resumed = payment_resume_or_expire(payment=waiting)
        if resumed:
            return resumed
    invoice = Invoice.objects.select_related("authority").get(
        authority_id=invoice.authority_id, pk=invoice.pk
    )
    state = settlement_state(invoice, today=today, ignore_waiting=True)
    if not state.payable:
        raise PaymentNotPossible(NOT_PAYABLE[state.state])
    gateway = gateway_for(invoice.authority)
    # A part already paid (a cheque, a transfer): the online payment pays what is left.
    amount_cents = state.left_cents if state.left_cents is not None else invoice.total_cents
    try:
        payment = Payment.objects.create(
            authority_id=invoice.authority_id,
            invoice=invoice,
            account_id=invoice.account_id,
            gateway=gateway.name,
            amount_cents=amount_cents,
            email=email,
        )
    except IntegrityError:  # a double click: the other request started it
        raise PaymentNotPossible(NOT_PAYABLE[Settlement.WAITING]) from None
    slug = invoice.authority.slug
    try:
        checkout = gateway.start(
            # A title: refdet its n° de dette (the invoice number), exer its bordereau's.
            order_ref=invoice.number,
            year=state.title_year or invoice.year,
            amount_cents=amount_cents,
            email=email,
            label=f"Redevance incitative facture {invoice.number}",
            notify_url=settings.SITE_URL + reverse("payments:notify"),
            # Back to where the resident's session is: the authority's own host if it has one.
            return_url=authority_absolute_url(
                invoice.authority, "payments:return", args=[slug, payment.pk]
            ),
        )
    except GatewayError as error:
        now = timezone.now()
        Payment.objects.filter(pk=payment.pk, status=PaymentStatus.WAITING).update(
            status=PaymentStatus.EXPIRED, detail={"error": str(error)}, updated_at=now
        )
        raise PaymentNotPossible(UNAVAILABLE) from error
    Payment.objects.filter(pk=payment.pk, status=PaymentStatus.WAITING).update(
        order_id=checkout.order_id,
        detail={"redirect_url": checkout.redirect_url},
        updated_at=timezone.now(),
    )
    return checkout.redirect_url


def payment_resume_or_expire(*, payment: Payment) -> str | None:
    """A payment already waiting when « Régler » is clicked again: asks its gateway; while
    it is still open there, returns its page again (a second operation could be paid
    twice); otherwise settles or expires it and returns None."""
    if payment.order_id:
        payment = payment_confirm(payment=payment)
        if payment.status != PaymentStatus.WAITING:
            if payment.status == PaymentStatus.PAID:
                raise PaymentNotPossible(NOT_PAYABLE[Settlement.PAID])
            return None
        gateway = gateway_for(payment.authority, payment.gateway)
        fresh = payment.created_at + datetime.timedelta(minutes=gateway.resume_minutes)
        if timezone.now() < fresh and payment.detail.get("redirect_url"):
            return payment.detail["redirect_url"]
    elif timezone.now() < payment.created_at + datetime.timedelta(minutes=1):
        raise PaymentNotPossible(NOT_PAYABLE[Settlement.WAITING])  # being opened right now
    payment_expire(payment=payment)
    return None


def payment_expire(*, payment: Payment, detail: dict | None = None) -> bool:
    """The portal stops waiting for the payment (« expiré »); its gateway may still say
    later that it was paid, and then it is (see payment_settle)."""
    now = timezone.now()
    changes = {"status": PaymentStatus.EXPIRED, "last_checked_at": now, "updated_at": now}
    if detail is not None:
        changes["detail"] = {**payment.detail, **detail}
    return (
        Payment.objects.filter(pk=payment.pk, status=PaymentStatus.WAITING).update(**changes) == 1
    )


def payment_abandon(*, invoice: Invoice) -> Payment | None:
    """« Abandonner le paiement »: the resident gives up the payment of the invoice left
    waiting (a wrong card number, a closed tab), so that « Régler » starts afresh. Its
    gateway is asked first: one paid meanwhile is recorded paid (PaymentNotPossible
    says so). None when no payment waits."""
    payment = (
        Payment.objects.filter(
            authority_id=invoice.authority_id, invoice_id=invoice.pk, status=PaymentStatus.WAITING
        )
        .select_related("authority")
        .first()
    )
    if payment is None:
        return None
    payment = payment_confirm(payment=payment)
    if payment.status == PaymentStatus.PAID:
        raise PaymentNotPossible(NOT_PAYABLE[Settlement.PAID])
    if payment.status == PaymentStatus.WAITING:
        payment_expire(payment=payment, detail={"abandoned_by": "resident"})
        payment.refresh_from_db()
    return payment


def payment_confirm(*, payment: Payment) -> Payment:
    """Asks the payment's gateway where it stands and settles it accordingly. Only a
    waiting payment, or one the portal expired itself (the gateway may still say it was
    paid), is asked about. Returns the payment as it now is."""
    if payment.status not in (PaymentStatus.WAITING, PaymentStatus.EXPIRED) or not payment.order_id:
        return payment
    gateway = gateway_for(payment.authority, payment.gateway)
    status = gateway.status(order_id=payment.order_id, started_at=payment.created_at)
    payment_settle(payment=payment, status=status, now=timezone.now())
    payment.refresh_from_db()
    return payment


def payment_notified(*, gateway: str, order_id: str) -> Payment | None:
    """A gateway said something happened to one of its operations: confirm it by the
    status call (what was posted is only the operation's id). None when no payment has
    that id."""
    if not order_id or len(order_id) > 64:
        return None
    payment = (
        Payment.objects.filter(gateway=gateway, order_id=order_id)
        .select_related("authority")
        .first()
    )
    if payment is None:
        logger.warning("notification from %s for an unknown operation %r", gateway, order_id)
        return None
    return payment_confirm(payment=payment)


def payment_returned(*, authority, payment_pk: int, ask_gateway: bool = True) -> Payment | None:
    """The resident's browser is back from the gateway: confirm the payment by the status
    call, if it is still waiting and `ask_gateway` (the return URL needs no login: the
    view throttles how often it asks). None when the authority has no such payment."""
    payment = Payment.objects.filter(authority=authority, pk=payment_pk).first()
    if payment is None or payment.status != PaymentStatus.WAITING or not ask_gateway:
        return payment
    return payment_confirm(payment=payment)


@transaction.atomic
def payment_settle(*, payment: Payment, status: Status, now: datetime.datetime) -> None:
    """Applies a gateway's status to a payment, once."""
    checked = {"checks": F("checks") + 1, "last_checked_at": now, "updated_at": now}
    mine = Payment.objects.filter(pk=payment.pk, authority_id=payment.authority_id)
    if status.outcome == Outcome.WAITING:
        mine.filter(status=PaymentStatus.WAITING).update(**checked)
        return
    if status.outcome in FINAL:
        # Refused, abandoned or expired at the gateway: final unless already final.
        mine.filter(status=PaymentStatus.WAITING).update(
            status=FINAL[status.outcome], detail=status.detail, **checked
        )
        return
    # Paid. The invoice's row lock orders two payments of one invoice paid at once.
    invoice = Invoice.objects.select_for_update().get(
        authority_id=payment.authority_id, pk=payment.invoice_id
    )
    paid_at = status.paid_at or now
    applies = invoice.status == InvoiceStatus.OPEN
    # What the invoice's other payments brought (a part recorded meanwhile, say): what this
    # one brings beyond the total is a trop-perçu, listed to the agents.
    before = invoice_paid_cents(invoice)
    net = invoice_net_cents(invoice)  # its amount after its avoirs
    reaches = before + payment.amount_cents >= net
    excess = max(min(before + payment.amount_cents - net, payment.amount_cents), 0)
    done = mine.filter(status__in=[PaymentStatus.WAITING, PaymentStatus.EXPIRED]).update(
        status=PaymentStatus.PAID if applies else PaymentStatus.DUPLICATE,
        method=status.method,
        transaction_id=status.transaction_id,
        paid_at=paid_at,
        paid_amount_cents=status.amount_cents,
        detail=status.detail,
        excess_cents=excess if applies else 0,
        **checked,
    )
    if not done:
        return  # already settled: a repeated or late notification
    if status.amount_cents is not None and status.amount_cents != payment.amount_cents:
        # Listed to the agents (« Paiements à vérifier ») by paid_amount_cents.
        logger.error(
            "payment %s: the gateway says %s cents were paid, %s were asked",
            payment.pk,
            status.amount_cents,
            payment.amount_cents,
        )
    if not applies:
        logger.error(
            "payment %s paid invoice %s (%s) which is %s: recorded as paid twice, to refund",
            payment.pk,
            invoice.pk,
            invoice.number,
            invoice.get_status_display(),
        )
        return
    if reaches:
        Invoice.objects.filter(
            authority_id=invoice.authority_id, pk=invoice.pk, status=InvoiceStatus.OPEN
        ).update(status=InvoiceStatus.PAID, paid_at=paid_at, paid_by=status.method, updated_at=now)
    payment.refresh_from_db()
    payment_confirmed_tell(payment=payment, invoice=invoice, settled=reaches)
    # « Reçu de paiement », in the transaction that records the payment.
    payment_receipt_send(payment=payment)


def payments_waiting_resolve(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """The periodic job: asks their gateway about the payments left waiting (with a
    back-off) and expires those waiting for more than MAX_WAIT. Returns counts."""
    now = now or timezone.now()
    counts = {"checked": 0, "settled": 0, "expired": 0}
    for payment in payments_due_for_check(now=now):
        if payment.order_id:
            payment = payment_confirm(payment=payment)
            counts["checked"] += 1
        if payment.status != PaymentStatus.WAITING:
            counts["settled"] += 1
        elif payment.created_at + MAX_WAIT < now and payment_expire(payment=payment):
            counts["expired"] += 1
    return counts
