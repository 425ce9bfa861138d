"""The planned debits of an invoice follow what is still to debit on it: an avoir that
reduces it, a payment received otherwise (a cheque, a transfer) on an invoice paid by direct
debit. Only the debits no SEPA file carries yet may change (a file generated or transmitted
is the bank's business); the last ones first, each cancelled when nothing is left of it."""

from django.db.models import Q, Sum

from levee.billing.models import Invoice

from .models import DebitStatus, ScheduledDebit


def _debits(invoice: Invoice):
    return ScheduledDebit.objects.filter(
        authority_id=invoice.authority_id, invoice_id=invoice.pk
    ).exclude(status__in=[DebitStatus.CANCELLED, DebitStatus.REJECTED])


def invoice_locked_debits_cents(invoice: Invoice) -> int:
    """What the invoice's debits already in a file (generated or transmitted) will take."""
    return (
        _debits(invoice)
        .filter(Q(status=DebitStatus.SENT) | Q(file__isnull=False))
        .aggregate(v=Sum("amount_cents"))["v"]
        or 0
    )


def invoice_debits_follow(
    invoice: Invoice, *, net_cents: int, received_cents: int, locked_cents: int | None = None
) -> list[dict]:
    """Brings the invoice's free debits down to what is still to debit: `net_cents` (its
    amount after its avoirs) less what its debits in a file will take and what its payments
    brought (`received_cents`). Called under the invoice's row lock. Returns what changed,
    for the audit log (due date, amount before and after)."""
    if locked_cents is None:
        locked_cents = invoice_locked_debits_cents(invoice)
    free = list(
        _debits(invoice)
        .filter(status=DebitStatus.PLANNED, file__isnull=True)
        .select_for_update()
        .order_by("-due_on", "-pk")
    )
    target = max(net_cents - locked_cents - received_cents, 0)
    excess = sum(d.amount_cents for d in free) - target
    changed = []
    for debit in free:  # the last ones first
        if excess <= 0:
            break
        cut = min(debit.amount_cents, excess)
        excess -= cut
        entry = {"due_on": debit.due_on.isoformat(), "before_cents": debit.amount_cents}
        if cut == debit.amount_cents:
            debit.status = DebitStatus.CANCELLED
            debit.save(update_fields=["status"])
            entry["after_cents"] = 0
        else:
            debit.amount_cents -= cut
            debit.save(update_fields=["amount_cents"])
            entry["after_cents"] = debit.amount_cents
        changed.append(entry)
    return changed
