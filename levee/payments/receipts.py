"""« Reçu de paiement »: one email for every confirmed payment of an invoice, through the
outbox, to the account's email (else its logins'), as « Votre facture est disponible » is.

- an online payment: in the transaction that settles it paid (`payment_settle`), once;
- a payment recorded by an agent or imported (`recorded.py`): in the transaction that
  records it, once;
- a direct debit: taken on its date (what « Mes factures » and the duplicata call
  « Prélevée le … »), acknowledged by the periodic job from that day on, for the debits of
  the last RECEIPT_WINDOW days only (the history of debits taken before receipts existed
  is not mailed). In PES mode the public accountant debits from the rôle, so a planned
  debit is taken on its date; in régie mode only a debit whose pain.008 file was
  transmitted to the bank, and not rejected, is taken (`DEBIT_FILES.md`).

A `PaymentReceipt` row, unique per payment and per debit, is written with the emails: a
notification repeated, a job run twice or two workers at once send nothing twice.
"""

import datetime

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from levee.billing.models import InvoiceStatus
from levee.lib.templatetags.levee_format import euros
from levee.mailing.recipients import account_recipients
from levee.mailing.services import mail_enqueue
from levee.treasury.models import CollectionMode, PublicAccountingSettings

from .models import (
    DebitStatus,
    Payment,
    PaymentMethod,
    PaymentReceipt,
    PaymentStatus,
    ScheduledDebit,
)
from .selectors import invoice_left_cents

RECEIPT_WINDOW = datetime.timedelta(days=10)

METHOD_WORDS = {
    PaymentMethod.CARD: "carte bancaire (paiement en ligne)",
    PaymentMethod.DEBIT: "prélèvement SEPA",
    PaymentMethod.OTHER: "paiement en ligne",
    PaymentMethod.CHEQUE: "chèque",
    PaymentMethod.CASH: "espèces",
    PaymentMethod.TRANSFER: "virement",
    PaymentMethod.COUNTER_CARD: "carte bancaire au guichet",
}


def _send(receipt: PaymentReceipt, *, invoice, debits_left: int = 0) -> int:
    """Enqueues the receipt's emails (inside the caller's transaction); returns how many."""
    authority = invoice.authority
    recipients = account_recipients([invoice.account_id])[invoice.account_id]
    # A part paid (a cheque recorded, say): the receipt says what is left to pay.
    left = 0 if receipt.debit_id is not None else invoice_left_cents(invoice)
    context = {
        "left": euros(left) if left else "",
        "number": invoice.number,
        "amount": euros(receipt.amount_cents),
        "invoice_total": euros(invoice.total_cents),
        "paid_on": receipt.paid_on,
        "method": METHOD_WORDS.get(receipt.method, receipt.get_method_display()),
        "debit": receipt.debit_id is not None,
        "debits_left": debits_left,
        "invoices_url": reverse("billing:invoices", kwargs={"slug": authority.slug}),
    }
    for to in recipients:
        mail_enqueue(to=to, template="payment_receipt", context=context, authority=authority)
    return len(recipients)


def payment_receipt_send(*, payment: Payment) -> bool:
    """The receipt of an online payment settled paid, or of a recorded one (call it inside
    the transaction that settles or records it). A payment paid twice (« payé en double ») gets none: it is to be refunded.
    False when it has one already."""
    payment = Payment.objects.select_related("invoice__authority").get(pk=payment.pk)
    if payment.status != PaymentStatus.PAID or payment.paid_at is None:
        return False
    amount = payment.paid_amount_cents
    if amount is None:
        amount = payment.amount_cents
    try:
        with transaction.atomic():
            receipt = PaymentReceipt.objects.create(
                authority_id=payment.authority_id,
                payment=payment,
                invoice_id=payment.invoice_id,
                amount_cents=amount,
                paid_on=timezone.localdate(payment.paid_at),
                method=payment.method or PaymentMethod.OTHER,
            )
            _send(receipt, invoice=payment.invoice)
    except IntegrityError:
        return False
    return True


def debit_receipts_send(*, today: datetime.date | None = None) -> int:
    """The periodic job: the receipt of each debit taken today or in the last
    RECEIPT_WINDOW days, not acknowledged yet. Returns how many receipts."""
    today = today or timezone.localdate()
    titles = PublicAccountingSettings.objects.filter(collection_mode=CollectionMode.PES).values(
        "authority_id"
    )
    debits = (
        ScheduledDebit.objects.filter(
            due_on__lte=today,
            due_on__gt=today - RECEIPT_WINDOW,
            receipt__isnull=True,
        )
        .filter(Q(status=DebitStatus.SENT) | Q(status=DebitStatus.PLANNED, authority_id__in=titles))
        .exclude(invoice__status=InvoiceStatus.CANCELLED)
        .exclude(invoice__number="")
        .select_related("invoice__authority")
        .order_by("due_on", "pk")
    )
    sent = 0
    for debit in debits:
        left = (
            ScheduledDebit.objects.filter(invoice_id=debit.invoice_id, due_on__gt=debit.due_on)
            .exclude(status=DebitStatus.CANCELLED)
            .count()
        )
        try:
            with transaction.atomic():
                receipt = PaymentReceipt.objects.create(
                    authority_id=debit.authority_id,
                    debit=debit,
                    invoice_id=debit.invoice_id,
                    amount_cents=debit.amount_cents,
                    paid_on=debit.due_on,
                    method=PaymentMethod.DEBIT,
                )
                _send(receipt, invoice=debit.invoice, debits_left=left)
        except IntegrityError:
            continue  # acknowledged by another run meanwhile
        sent += 1
    return sent
