"""Payments received outside Levée's online payment and recorded afterwards: by an agent
at the invoice's page (a cheque, cash, a transfer, a card at the counter, a debit taken by
the accountant), or imported from the accountant's collections (`collections.py`).

An invoice may hold several payments: what they bring adds up, the invoice is « réglée »
on the date of the payment that completed it, the rest stays due (and can be paid online,
`services.payment_start` asking for what is left); on an invoice paid by direct debit, its
planned debits no file carries yet are brought down to what is left
(`services_debits.invoice_debits_follow`). A payment bringing more than was left
is recorded all the same, its trop-perçu (`excess_cents`) listed to the agents in
« Paiements à vérifier ».

Two agents recording the same cheque at once: the invoice's row is locked
(`select_for_update`) while the payments are summed and the new one written, and a
recorded payment's reference is unique per invoice and mode; the second one is refused."""

import datetime
import zoneinfo

from django.db import IntegrityError, transaction
from django.utils import timezone

from levee.audit.services import audit_write
from levee.billing.models import Invoice, InvoiceStatus
from levee.billing.selectors_credit_notes import invoice_net_cents
from levee.lib.templatetags.levee_format import euros

from .events import payment_confirmed_tell
from .models import (
    REFERENCE_REQUIRED,
    Payment,
    PaymentChannel,
    PaymentMethod,
    PaymentStatus,
)
from .receipts import payment_receipt_send
from .selectors import invoice_paid_cents
from .services_debits import invoice_debits_follow

# A recorded payment is dated (a day), its `paid_at` is noon of that day, Paris time, so
# that it reads the same day wherever it is shown.
PARIS = zoneinfo.ZoneInfo("Europe/Paris")
NOON = datetime.time(12, 0)


class PaymentRefused(Exception):
    """The payment cannot be recorded; `message` says why in French, `field` next to
    which field of the form (None: the whole form)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


def paid_at_of(paid_on: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(paid_on, NOON, PARIS)


def _check(
    invoice: Invoice, *, method: str, paid_on, reference: str, amount_cents: int, today
) -> None:
    if invoice.status == InvoiceStatus.CANCELLED:
        raise PaymentRefused(
            f"La facture {invoice.number} est annulée : aucun règlement ne peut y être enregistré."
        )
    if invoice.status == InvoiceStatus.SIMULATED or not invoice.number:
        raise PaymentRefused("Une facture à blanc ne se règle pas : aucun paiement n'est demandé.")
    if method not in PaymentMethod.values:
        raise PaymentRefused("Choisissez le mode de règlement.", "method")
    if amount_cents is None or amount_cents <= 0:
        raise PaymentRefused("Le montant doit être supérieur à 0,00 €.", "amount")
    if paid_on > today:
        raise PaymentRefused(
            f"La date du règlement ne peut pas être dans le futur (nous sommes le "
            f"{today:%d/%m/%Y}).",
            "paid_on",
        )
    if method in REFERENCE_REQUIRED and not reference:
        raise PaymentRefused(
            "Indiquez la référence du règlement (numéro du chèque, référence du virement).",
            "reference",
        )


def _same_payment(invoice: Invoice, *, method: str, paid_on, reference: str, amount_cents: int):
    """The recorded payment of the invoice that this one repeats: same mode and reference,
    or, without a reference, same mode, day and amount. None when there is none."""
    recorded = Payment.objects.filter(
        authority_id=invoice.authority_id, invoice_id=invoice.pk, status=PaymentStatus.PAID
    ).exclude(channel=PaymentChannel.ONLINE)
    if reference:
        return recorded.filter(method=method, reference=reference).first()
    return recorded.filter(
        method=method, reference="", amount_cents=amount_cents, paid_at=paid_at_of(paid_on)
    ).first()


def already_recorded_message(payment: Payment) -> str:
    reference = f" n° {payment.reference}" if payment.reference else ""
    return (
        f"Ce règlement est déjà enregistré sur la facture {payment.invoice.number} : "
        f"{payment.get_method_display().lower()}{reference} de {euros(payment.amount_cents)} "
        f"du {timezone.localdate(payment.paid_at, PARIS):%d/%m/%Y}. Rien n'est enregistré une "
        "seconde fois."
        + ("" if payment.reference else " S'il s'agit d'un autre règlement, indiquez sa référence.")
    )


@transaction.atomic
def payment_record(
    *,
    invoice: Invoice,
    method: str,
    paid_on: datetime.date,
    reference: str,
    amount_cents: int,
    by,
    today: datetime.date | None = None,
    channel: str = PaymentChannel.AGENT,
    collection_import=None,
    line_key: str = "",
    audit: bool = True,
    send_receipt: bool = True,
) -> Payment:
    """Records a payment of the invoice received otherwise (PaymentRefused when it cannot
    be: a cancelled invoice, a bad amount or date, a missing reference, the same payment
    already recorded). Settles the invoice when its payments reach its total; sends the
    « Reçu de paiement »; an agent's recording is audited."""
    today = today or timezone.localdate()
    reference = reference.strip()
    # The invoice's row lock orders two recordings (or a recording and an online payment)
    # of one invoice: each one sums what the other wrote.
    invoice = (
        Invoice.objects.select_for_update()
        .select_related("authority")
        .get(authority_id=invoice.authority_id, pk=invoice.pk)
    )
    _check(
        invoice,
        method=method,
        paid_on=paid_on,
        reference=reference,
        amount_cents=amount_cents,
        today=today,
    )
    same = _same_payment(
        invoice, method=method, paid_on=paid_on, reference=reference, amount_cents=amount_cents
    )
    if same is not None:
        raise PaymentRefused(already_recorded_message(same))
    before = invoice_paid_cents(invoice)
    net = invoice_net_cents(invoice)  # its amount after its avoirs
    if invoice.status == InvoiceStatus.PAID:
        excess = amount_cents  # paid already (online, or before Levée): all of it is excess
    else:
        excess = max(min(before + amount_cents - net, amount_cents), 0)
    paid_at = paid_at_of(paid_on)
    try:
        with transaction.atomic():
            payment = Payment.objects.create(
                authority_id=invoice.authority_id,
                invoice=invoice,
                account_id=invoice.account_id,
                channel=channel,
                gateway="",
                status=PaymentStatus.PAID,
                method=method,
                amount_cents=amount_cents,
                paid_at=paid_at,
                reference=reference,
                recorded_by=by,
                collection_import=collection_import,
                line_key=line_key,
                excess_cents=excess,
            )
    except IntegrityError:  # written by another agent (or import) meanwhile
        same = _same_payment(
            invoice, method=method, paid_on=paid_on, reference=reference, amount_cents=amount_cents
        )
        raise PaymentRefused(
            already_recorded_message(same) if same else "Ce règlement est déjà enregistré."
        ) from None
    settled = False
    if invoice.status == InvoiceStatus.OPEN and before + amount_cents >= net:
        settled = (
            Invoice.objects.filter(
                authority_id=invoice.authority_id, pk=invoice.pk, status=InvoiceStatus.OPEN
            ).update(
                status=InvoiceStatus.PAID,
                paid_at=paid_at,
                paid_by=method,
                updated_at=timezone.now(),
            )
            == 1
        )
    # A debited invoice: its planned debits that no file carries yet take only what is left
    # (a cheque of half the invoice halves what is still to debit, the last debits first).
    debits = []
    if invoice.direct_debit and invoice.status == InvoiceStatus.OPEN:
        debits = invoice_debits_follow(invoice, net_cents=net, received_cents=before + amount_cents)
    payment_confirmed_tell(payment=payment, invoice=invoice, settled=settled)
    if send_receipt:
        payment_receipt_send(payment=payment)
    if audit:
        audit_write(
            authority=invoice.authority,
            actor=by,
            action="payment.record",
            obj=payment,
            before={"status": invoice.status, "paid_cents": before},
            after={
                "invoice": invoice.number,
                "method": method,
                "paid_on": paid_on.isoformat(),
                "reference": reference,
                "amount_cents": amount_cents,
                "excess_cents": excess,
                "settled": settled,
                "left_cents": max(net - before - amount_cents, 0),
                **({"debits": debits} if debits else {}),
            },
        )
    payment.invoice_settled = settled
    return payment
