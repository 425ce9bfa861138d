"""Avoirs: an agent cancels (« annulation totale ») or reduces (« réduction ») an issued
invoice, with a reason.

One transaction locks the invoice's row (two agents crediting the same invoice take turns,
each one reading what the other credited), checks the amount against what the invoice
still amounts to after its earlier avoirs, takes the avoir's number under the lock of the
year's `CreditNoteSequence` row (a crash rolls both back: no hole, no duplicate), writes the
avoir, then follows it through:

- a debited invoice: its planned debits in no SEPA file yet are reduced to match, the last
  ones first (cancelled when nothing is left of them); a debit already in a file (generated
  or transmitted) no longer changes;
- what the invoice's payments, and its debits already in a file, brought beyond what it
  amounts to after the avoir is the avoir's `refund_cents`: listed in « Paiements à
  vérifier » to refund;
- an invoice still to pay that its payments now cover is « réglée »;
- the holder is told by email, and the audit log keeps it.

The PES file that carries the avoir to the public accountant is the treasury's business
(`selectors_credit_notes.credit_notes_to_carry`, `CreditNote.pes_file`)."""

import datetime

from django.db import transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from levee.audit.services import audit_write
from levee.lib.templatetags.levee_format import euros
from levee.mailing.recipients import account_recipients
from levee.mailing.services import mail_enqueue
from levee.payments.models import Payment, PaymentStatus
from levee.payments.selectors import invoice_paid_cents
from levee.payments.services_debits import invoice_debits_follow, invoice_locked_debits_cents

from .models import (
    CreditNote,
    CreditNoteKind,
    CreditNoteReason,
    CreditNoteSequence,
    Invoice,
    InvoiceStatus,
)
from .pricing import round_half_up, vat_of
from .selectors_credit_notes import invoice_net_cents, lift_credit_ht_cents

SEQUENCE_MAX = 999_999
TEXT_MAX_LENGTH = 1000


class CreditNoteRefused(Exception):
    """The avoir cannot be issued; `message` says why in French, `field` next to which
    field of the form (None: the whole form)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


def credit_note_number(*, year: int, authority_code: str, value: int) -> str:
    """« AV2400240000001 »: « AV », the year's two digits, the authority's 5-digit code,
    6 digits."""
    return f"AV{year % 100:02d}{authority_code:0>5}{value:06d}"


def _number_take(*, authority, year: int) -> str:
    CreditNoteSequence.objects.get_or_create(authority=authority, year=year)
    sequence = CreditNoteSequence.objects.select_for_update().get(authority=authority, year=year)
    if sequence.next_value > SEQUENCE_MAX:
        raise CreditNoteRefused(f"La numérotation des avoirs {year} est épuisée.")
    number = credit_note_number(year=year, authority_code=authority.code, value=sequence.next_value)
    sequence.next_value += 1
    sequence.save(update_fields=["next_value"])
    return number


def split_ttc(amount_cents: int, vat_rate_bp: int) -> tuple[int, int]:
    """(HT, TVA) of an amount TTC at a VAT rate, as an invoice's total is split."""
    ht = round_half_up(amount_cents * 10_000, 10_000 + vat_rate_bp)
    return ht, amount_cents - ht


def _credited(invoice: Invoice) -> tuple[int, int]:
    """(TTC, HT) the invoice's avoirs took off it so far."""
    sums = CreditNote.objects.filter(
        authority_id=invoice.authority_id, invoice_id=invoice.pk
    ).aggregate(ttc=Sum("total_cents"), ht=Sum("total_ht_cents"))
    return sums["ttc"] or 0, sums["ht"] or 0


def _amounts(
    invoice: Invoice,
    *,
    kind: str,
    amount_cents: int | None,
    amount_ht_cents: int | None,
    credited_ttc: int,
    credited_ht: int,
) -> tuple[int, int]:
    """(HT, TVA) of the avoir, checked against what the invoice still amounts to."""
    left_ttc = invoice.total_cents - credited_ttc
    left_ht = invoice.total_ht_cents - credited_ht
    left_vat = left_ttc - left_ht
    if kind == CreditNoteKind.TOTAL:
        return left_ht, left_vat
    if amount_ht_cents is not None:
        ht = amount_ht_cents
        vat = vat_of(ht, invoice.vat_rate_bp)
        amount_cents = ht + vat
    if amount_cents is None or amount_cents <= 0:
        raise CreditNoteRefused("Le montant de l'avoir doit être supérieur à 0,00 €.", "amount")
    if amount_cents > left_ttc:
        already = f" après les avoirs déjà émis ({euros(credited_ttc)})" if credited_ttc else ""
        raise CreditNoteRefused(
            f"Le montant de l'avoir ne peut pas dépasser ce que la facture représente "
            f"encore{already} : {euros(left_ttc)}.",
            "amount",
        )
    if amount_cents == left_ttc:
        return left_ht, left_vat
    if amount_ht_cents is None:
        ht, vat = split_ttc(amount_cents, invoice.vat_rate_bp)
    # Never more VAT (nor HT) taken off than the invoice has left of it.
    if vat > left_vat:
        vat = left_vat
        ht = amount_cents - vat
    if ht > left_ht:
        ht = left_ht
        vat = amount_cents - ht
    return ht, vat


def _last_payment(invoice: Invoice) -> Payment | None:
    return (
        Payment.objects.filter(
            authority_id=invoice.authority_id, invoice_id=invoice.pk, status=PaymentStatus.PAID
        )
        .order_by("-paid_at", "-pk")
        .first()
    )


def _email(note: CreditNote, invoice: Invoice, *, left_cents: int) -> None:
    authority = invoice.authority
    context = {
        "number": note.number,
        "invoice_number": invoice.number,
        "invoice_issued_on": invoice.issued_on,
        "kind": note.kind,
        "amount": euros(note.total_cents),
        "reason": note.get_reason_display(),
        "left": euros(left_cents) if left_cents else "",
        "refund": euros(note.refund_cents) if note.refund_cents else "",
        "debited": invoice.direct_debit,
        "invoices_url": reverse("billing:invoices", kwargs={"slug": authority.slug}),
    }
    for to in account_recipients([invoice.account_id])[invoice.account_id]:
        mail_enqueue(to=to, template="credit_note_issued", context=context, authority=authority)


@transaction.atomic
def credit_note_issue(
    *,
    invoice: Invoice,
    kind: str,
    reason: str,
    by,
    amount_cents: int | None = None,
    amount_ht_cents: int | None = None,
    text: str = "",
    service_request=None,
    today: datetime.date | None = None,
) -> CreditNote:
    """Issues an avoir of the invoice (CreditNoteRefused when it cannot be: a simulation or
    an unnumbered invoice, an invoice fully cancelled already, a bad amount, kind or reason).

    A réduction takes `amount_cents` TTC off the invoice (split HT/TVA at its rate), or
    `amount_ht_cents` HT (its VAT added, as the invoice's lines are priced); an annulation
    totale takes what the invoice still amounts to."""
    today = today or timezone.localdate()
    text = (text or "").strip()
    invoice = (
        Invoice.objects.select_for_update()
        .select_related("authority")
        .get(authority_id=invoice.authority_id, pk=invoice.pk)
    )
    if invoice.status == InvoiceStatus.SIMULATED or not invoice.number:
        raise CreditNoteRefused("Une facture à blanc n'a pas d'avoir : elle n'est pas émise.")
    if invoice.status == InvoiceStatus.CANCELLED:
        raise CreditNoteRefused(f"La facture {invoice.number} est annulée : aucun avoir possible.")
    if kind not in CreditNoteKind.values:
        raise CreditNoteRefused("Choisissez le type d'avoir.", "kind")
    if reason not in CreditNoteReason.values:
        raise CreditNoteRefused("Choisissez le motif de l'avoir.", "reason")
    if reason == CreditNoteReason.OTHER and not text:
        raise CreditNoteRefused("Précisez le motif de l'avoir dans le commentaire.", "text")
    if len(text) > TEXT_MAX_LENGTH:
        raise CreditNoteRefused(
            f"Le commentaire ne doit pas dépasser {TEXT_MAX_LENGTH} caractères.", "text"
        )
    credited_ttc, credited_ht = _credited(invoice)
    if credited_ttc >= invoice.total_cents:
        raise CreditNoteRefused(
            f"La facture {invoice.number} est déjà entièrement annulée par avoir : aucun autre "
            "avoir ne peut y être émis."
        )
    ht, vat = _amounts(
        invoice,
        kind=kind,
        amount_cents=amount_cents,
        amount_ht_cents=amount_ht_cents,
        credited_ttc=credited_ttc,
        credited_ht=credited_ht,
    )
    total = ht + vat
    net_before = invoice.total_cents - credited_ttc
    net_after = net_before - total
    received = invoice_paid_cents(invoice)
    locked = invoice_locked_debits_cents(invoice) if invoice.direct_debit else 0
    brought = received + locked
    # What was brought beyond the invoice's amount, after this avoir less before it.
    refund = max(brought - net_after, 0) - max(brought - net_before, 0)
    note = CreditNote.objects.create(
        authority_id=invoice.authority_id,
        invoice=invoice,
        year=today.year,
        number=_number_take(authority=invoice.authority, year=today.year),
        kind=kind,
        reason=reason,
        text=text,
        issued_on=today,
        total_ht_cents=ht,
        vat_rate_bp=invoice.vat_rate_bp,
        vat_cents=vat,
        total_cents=total,
        refund_cents=min(max(refund, 0), total),
        issued_by=by,
        service_request=service_request,
    )
    debits = (
        invoice_debits_follow(
            invoice, net_cents=net_after, received_cents=received, locked_cents=locked
        )
        if invoice.direct_debit
        else []
    )
    settled = False
    if invoice.status == InvoiceStatus.OPEN and received > 0 and received >= net_after:
        last = _last_payment(invoice)
        settled = (
            Invoice.objects.filter(
                authority_id=invoice.authority_id, pk=invoice.pk, status=InvoiceStatus.OPEN
            ).update(
                status=InvoiceStatus.PAID,
                paid_at=last.paid_at,
                paid_by=last.method,
                updated_at=timezone.now(),
            )
            == 1
        )
    left = 0 if settled or invoice.status == InvoiceStatus.PAID else max(net_after - brought, 0)
    audit_write(
        authority=invoice.authority,
        actor=by,
        action="credit_note.issue",
        obj=note,
        before={"invoice_cents": net_before, "status": invoice.status},
        after={
            "number": note.number,
            "invoice": invoice.number,
            "kind": kind,
            "reason": reason,
            "total_cents": total,
            "total_ht_cents": ht,
            "vat_cents": vat,
            "invoice_cents": net_after,
            "refund_cents": note.refund_cents,
            "settled": settled,
            "debits": debits,
            **({"service_request": service_request.pk} if service_request is not None else {}),
        },
    )
    _email(note, invoice, left_cents=left)
    note.invoice = invoice
    note.debits_changed = debits
    note.invoice_settled = settled
    return note


def credit_note_refund_review(*, note: CreditNote, agent_user) -> bool:
    """« Marquer comme remboursé » on an avoir of « Paiements à vérifier »: it leaves the
    list. False when another agent (or a double click) already did."""
    now = timezone.now()
    done = CreditNote.objects.filter(
        pk=note.pk, authority_id=note.authority_id, refund_reviewed_at__isnull=True
    ).update(refund_reviewed_at=now, refund_reviewed_by=agent_user, updated_at=now)
    if not done:
        return False
    audit_write(
        authority=note.authority,
        actor=agent_user,
        action="credit_note.refund_review",
        obj=note,
        after={"number": note.number, "refund_cents": note.refund_cents},
    )
    return True


def credit_note_for_lift(*, invoice: Invoice, weight_grams: int, service_request, by):
    """The avoir of a lift contest accepted after billing: a réduction of the invoice by
    what the cancelled lift cost it (`lift_credit_ht_cents`), its VAT added, reason
    « Contestation de levée acceptée », linked to the request. None when the lift cost the
    invoice nothing (within the plan's included lifts), or the invoice has nothing left."""
    invoice = Invoice.objects.get(authority_id=invoice.authority_id, pk=invoice.pk)
    ht = lift_credit_ht_cents(invoice, weight_grams=weight_grams)
    left = invoice_net_cents(invoice)
    if ht <= 0 or left <= 0:
        return None
    fits = ht + vat_of(ht, invoice.vat_rate_bp) <= left
    return credit_note_issue(
        invoice=invoice,
        kind=CreditNoteKind.REDUCTION,
        amount_ht_cents=ht if fits else None,
        amount_cents=None if fits else left,
        reason=CreditNoteReason.LIFT_CONTEST,
        text="Levée annulée sur contestation",
        by=by,
        service_request=service_request,
    )
