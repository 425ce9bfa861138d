"""SEPA direct debit: which invoices a mandate pays, and when (the « échéancier »)."""

from collections.abc import Iterable

from django.db import transaction

from levee.billing.models import Invoice
from levee.payments.models import Mandate, MandateStatus, ScheduledDebit


@transaction.atomic
def invoices_debit_plan(*, invoices: Iterable[Invoice]) -> int:
    """Mark the published invoices of accounts holding an active mandate as debited and
    write their coming debits. Called when a real billing run publishes its invoices;
    running it twice on the same invoices changes nothing. Returns the invoices debited."""
    invoices = [i for i in invoices if i.number]
    if not invoices:
        return 0
    mandates = {
        m.account_id: m
        for m in Mandate.objects.filter(
            authority_id__in={i.authority_id for i in invoices},
            account_id__in={i.account_id for i in invoices},
            status=MandateStatus.ACTIVE,
        )
    }
    debited = [i for i in invoices if i.account_id in mandates]
    if not debited:
        return 0
    Invoice.objects.filter(
        authority_id__in={i.authority_id for i in debited}, pk__in=[i.pk for i in debited]
    ).update(direct_debit=True)
    ScheduledDebit.objects.bulk_create(
        [
            ScheduledDebit(
                authority_id=i.authority_id,
                mandate=mandates[i.account_id],
                invoice=i,
                due_on=i.due_on,
                amount_cents=i.total_cents,
            )
            for i in debited
        ],
        ignore_conflicts=True,
    )
    for i in debited:
        i.direct_debit = True
    return len(debited)
