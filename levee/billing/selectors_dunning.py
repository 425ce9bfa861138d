"""« Restes à recouvrer »: the invoices of an authority still due after their due date, by
age band and amount, and the reads of the reminders' periodic job.

An invoice still due is a real invoice (numbered) « à régler » with something to pay; it is
overdue from the day after its due date. « Being debited » means a SEPA mandate collects it
(`direct_debit`, or a debit of its échéancier planned on an active mandate or already sent):
it is listed, marked so, but never reminded.
"""

import datetime
from dataclasses import dataclass

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from levee.authorities.models import Commune
from levee.payments.models import (
    DebitStatus,
    MandateStatus,
    Payment,
    PaymentStatus,
    ScheduledDebit,
)

from .models import Invoice, InvoiceStatus
from .selectors_credit_notes import credited_subquery


@dataclass(frozen=True)
class AgeBand:
    slug: str
    label: str
    # Days overdue, both ends included; `last` None for the oldest band.
    first: int
    last: int | None

    def q(self, today: datetime.date) -> Q:
        """The invoices of this band on `today`, by their due date."""
        q = Q(due_on__lte=today - datetime.timedelta(days=self.first))
        if self.last is not None:
            q &= Q(due_on__gte=today - datetime.timedelta(days=self.last))
        return q


AGE_BANDS = (
    AgeBand("moins-de-30-jours", "moins de 30 jours", 1, 29),
    AgeBand("30-a-90-jours", "30 à 90 jours", 30, 89),
    AgeBand("90-a-180-jours", "90 à 180 jours", 90, 179),
    AgeBand("plus-de-180-jours", "plus de 180 jours", 180, None),
)
BANDS_BY_SLUG = {band.slug: band for band in AGE_BANDS}


def age_band_of(days_overdue: int) -> AgeBand:
    for band in AGE_BANDS:
        if band.last is None or days_overdue <= band.last:
            return band
    return AGE_BANDS[-1]


def _paid_cents():
    """What the invoice's payments brought (a part paid by cheque, say)."""
    return (
        Payment.objects.filter(invoice_id=OuterRef("pk"), status=PaymentStatus.PAID)
        .order_by()
        .values("invoice_id")
        .annotate(v=Sum("amount_cents"))
        .values("v")
    )


def invoices_still_due(authority_id: int) -> QuerySet[Invoice]:
    """The authority's real invoices « à régler » with an amount to pay, each with what is
    left to pay (`left_cents`: its total less its avoirs and the payments received, a part
    paid); an invoice its avoirs cancelled is no longer due."""
    return (
        Invoice.objects.filter(
            authority_id=authority_id, status=InvoiceStatus.OPEN, total_cents__gt=0
        )
        .exclude(number="")
        .annotate(
            left_cents=F("total_cents")
            - Coalesce(credited_subquery(), Value(0))
            - Coalesce(Subquery(_paid_cents()), Value(0))
        )
        .filter(left_cents__gt=0)
    )


def _pending_debits():
    return ScheduledDebit.objects.filter(invoice_id=OuterRef("pk")).filter(
        Q(status=DebitStatus.SENT)
        | Q(status=DebitStatus.PLANNED, mandate__status=MandateStatus.ACTIVE)
    )


def _waiting_payments():
    return Payment.objects.filter(invoice_id=OuterRef("pk"), status=PaymentStatus.WAITING)


def invoices_being_debited_q() -> Q:
    """An invoice a SEPA mandate collects: marked prélevée, or with a debit pending."""
    return Q(direct_debit=True) | Q(Exists(_pending_debits()))


def invoices_reminder_candidates(authority_id: int) -> QuerySet[Invoice]:
    """The invoices still due that a reminder may concern: published, not being debited,
    with no online payment in progress."""
    return (
        invoices_still_due(authority_id)
        .filter(published_at__isnull=False)
        .exclude(invoices_being_debited_q())
        .exclude(Exists(_waiting_payments()))
    )


@dataclass(frozen=True)
class OutstandingFilters:
    band: AgeBand | None = None
    min_cents: int | None = None
    commune_id: int | None = None


def outstanding_invoices(
    authority, *, today: datetime.date, filters: OutstandingFilters = OutstandingFilters()
) -> QuerySet[Invoice]:
    """« Restes à recouvrer »: the invoices still due after their due date, the oldest
    first, filtered; each with `being_debited` (one query for the whole page)."""
    invoices = invoices_still_due(authority.pk).filter(due_on__lt=today)
    if filters.band is not None:
        invoices = invoices.filter(filters.band.q(today))
    if filters.min_cents is not None:
        invoices = invoices.filter(left_cents__gte=filters.min_cents)
    if filters.commune_id is not None:
        invoices = invoices.filter(subscription__commune_id=filters.commune_id)
    return (
        invoices.annotate(being_debited=invoices_being_debited_q())
        .select_related("account", "subscription__commune")
        .order_by("due_on", "number", "pk")
    )


@dataclass(frozen=True)
class BandSum:
    band: AgeBand | None  # None: all bands together
    count: int
    total_cents: int


def outstanding_sums(invoices: QuerySet[Invoice], *, today: datetime.date) -> list[BandSum]:
    """Count and total of each age band, then of all of them, in one query."""
    aggregates = {}
    for i, band in enumerate(AGE_BANDS):
        aggregates[f"count_{i}"] = Count("pk", filter=band.q(today))
        aggregates[f"total_{i}"] = Sum("left_cents", filter=band.q(today))
    aggregates["count_all"] = Count("pk")
    aggregates["total_all"] = Sum("left_cents")
    values = invoices.order_by().aggregate(**aggregates)
    sums = [
        BandSum(band, values[f"count_{i}"], values[f"total_{i}"] or 0)
        for i, band in enumerate(AGE_BANDS)
    ]
    sums.append(BandSum(None, values["count_all"], values["total_all"] or 0))
    return sums


def outstanding_communes(authority) -> list[Commune]:
    """The communes the authority serves, for the filter."""
    return list(
        Commune.objects.filter(authoritycommune__authority=authority).order_by("name", "insee")
    )
