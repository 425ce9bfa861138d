"""Reads of the avoirs: what an invoice's avoirs amount to, those of an invoice or of the
accounts a resident sees, those the treasury has still to carry in a PES file, and those
whose refund an agent has still to check."""

from django.db.models import OuterRef, QuerySet, Subquery, Sum

from .models import CreditNote, CreditNoteReason, Invoice, LineKind
from .pricing import round_half_up


def _credit_notes_of(invoice_pk, authority_id) -> QuerySet[CreditNote]:
    return CreditNote.objects.filter(authority_id=authority_id, invoice_id=invoice_pk)


def credited_subquery(outer_pk=None, outer_authority=None, *, field: str = "total_cents"):
    """The sum of `field` over the avoirs of the outer query's invoice (None when it has
    none), to annotate a list of invoices."""
    return Subquery(
        _credit_notes_of(outer_pk or OuterRef("pk"), outer_authority or OuterRef("authority_id"))
        .order_by()
        .values("invoice_id")
        .annotate(v=Sum(field))
        .values("v")
    )


def invoice_credited_cents(invoice: Invoice) -> int:
    """What the invoice's avoirs took off it, TTC (0 without any). Read from the
    `credited_cents` annotation when the list has it."""
    if hasattr(invoice, "credited_cents"):
        return invoice.credited_cents or 0
    return (
        _credit_notes_of(invoice.pk, invoice.authority_id).aggregate(v=Sum("total_cents"))["v"] or 0
    )


def invoice_net_cents(invoice: Invoice) -> int:
    """What the invoice still amounts to after its avoirs, TTC."""
    return max(invoice.total_cents - invoice_credited_cents(invoice), 0)


def invoice_credit_notes(invoice: Invoice) -> list[CreditNote]:
    """The invoice's avoirs, oldest first, with who issued them."""
    return list(
        _credit_notes_of(invoice.pk, invoice.authority_id)
        .select_related("issued_by", "service_request")
        .order_by("issued_on", "number")
    )


def credit_notes_by_invoice(invoice_ids) -> dict[int, list[CreditNote]]:
    """invoice pk → its avoirs, oldest first, for a page of invoices (one query)."""
    result: dict[int, list[CreditNote]] = {}
    for note in CreditNote.objects.filter(invoice_id__in=list(invoice_ids)).order_by(
        "issued_on", "number"
    ):
        result.setdefault(note.invoice_id, []).append(note)
    return result


def credit_notes_to_carry(authority) -> QuerySet[CreditNote]:
    """The authority's avoirs that no PES file carries yet (`pes_file` unset), in the order
    they were numbered, with their invoice: what the next PES file sends the public
    accountant as cancellations or reductions of titles."""
    return (
        CreditNote.objects.filter(authority=authority, pes_file__isnull=True)
        .select_related("invoice", "invoice__run")
        .order_by("year", "number")
    )


def credit_notes_to_refund(authority) -> QuerySet[CreditNote]:
    """« Paiements à vérifier »: the avoirs of invoices paid beyond what they amount to
    after them (`refund_cents`), until an agent marks the refund checked."""
    return (
        CreditNote.objects.filter(
            authority=authority, refund_cents__gt=0, refund_reviewed_at__isnull=True
        )
        .select_related("invoice", "invoice__account")
        .order_by("-issued_on", "-number")
    )


def lift_credit_ht_cents(invoice: Invoice, *, weight_grams: int) -> int:
    """What one lift counted on the invoice cost it, HT: the price of an extra lift while
    the invoice still charges extra lifts that earlier accepted contests did not credit
    back (a lift within the plan's included ones costs nothing extra), plus its weight at
    the invoice's price per kg when the invoice charges the weight. 0: nothing to credit."""
    lines = {line.kind: line for line in invoice.lines.all()}
    ht = 0
    extra = lines.get(LineKind.EXTRA)
    if extra is not None and extra.quantity > 0:
        # Each contest already credited took one extra lift off.
        credited = CreditNote.objects.filter(
            authority_id=invoice.authority_id,
            invoice_id=invoice.pk,
            reason=CreditNoteReason.LIFT_CONTEST,
            service_request__isnull=False,
        ).count()
        if credited < extra.quantity:
            ht += extra.unit_cents
    weight = lines.get(LineKind.WEIGHT)
    if weight is not None and weight.unit_cents and weight_grams:
        ht += min(round_half_up(weight_grams * weight.unit_cents, 1000), weight.amount_cents)
    return ht
