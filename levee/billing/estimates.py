"""The estimate of a household's next invoice shown on « Mes bacs/levées » (flow 8): the
lifts of the plan used so far this year, the extra ones, and what the year comes to at the
pace so far, priced with the tariff in force. An authority billing by half-year has sent
the first invoice by summer: the days no published invoice bills yet are priced as the next
run will price them, as a period of their own with its own share of the plan's lifts (a
first half with more lifts than its share had them billed as extra, whatever the second
half brings), and the lifts counted as extra so far are those the invoices billed as extra
plus those of that period beyond its share. A fixed number of queries, whatever the
history."""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Max, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce

from levee.collection.models import Bin, Flux
from levee.subscribers.models import Subscription, SubscriptionKind

from .models import Invoice, InvoiceLine, InvoiceStatus, LineKind, PlanKind, Tariff, TariffPlan
from .pricing import Computed, invoice_compute, round_half_up, year_share
from .selectors import HouseholdBin, household_bin_on, subscription_usage


@dataclass(frozen=True)
class Estimate:
    year: int
    first_day: datetime.date  # the days of the year the subscription is billed for
    last_day: datetime.date
    today: datetime.date
    plan_label: str
    extra_lift_cents: int  # the price of one extra lift (or opening), HT
    vat_rate_bp: int  # the tariff's
    unit_word: str  # « levée », or « ouverture » for a badge
    included_lifts: int  # in the plan for first_day..last_day
    lifts_so_far: int
    projected_lifts: int  # at the pace so far, by last_day
    extra_so_far: int  # billed as extra by the year's invoices, and beyond the share since
    computed: Computed | None  # the invoice of the days not billed yet at that pace
    invoiced_cents: int  # TTC, by the published invoices of periods within the year
    billed_until: datetime.date | None = None  # the last day those invoices bill

    @property
    def year_billed(self) -> bool:
        """The year's invoices bill it to its last day (a real run over a period not over
        yet): no next invoice to estimate for it."""
        return self.billed_until is not None and self.billed_until >= self.last_day

    @property
    def included_used(self) -> int:
        return min(max(0, self.lifts_so_far - self.extra_so_far), self.included_lifts)

    @property
    def included_left(self) -> int:
        return max(0, self.included_lifts - self.included_used)

    @property
    def next_invoice_cents(self) -> int:
        """The invoice of the days no published invoice bills yet, TTC."""
        return self.computed.total_cents if self.computed is not None else 0

    @property
    def total_cents(self) -> int:
        """What the whole year comes to, TTC: what its invoices billed, and the next one."""
        return self.invoiced_cents + self.next_invoice_cents


def invoice_estimate(
    *,
    subscription: Subscription | None,
    today: datetime.date,
    bins: Iterable[Bin] | None = None,
) -> Estimate | None:
    """What the subscription's invoice for this year would come to if the lifts go on at
    the pace so far; None without a tariff for the year, a plan for the subscription, or
    days of it in the year up to today.

    `bins`: the bins of the subscription's account when the caller has read them already
    (one query less); the plan is then chosen from those of the subscription."""
    if subscription is None:
        return None
    year = today.year
    first_day = max(datetime.date(year, 1, 1), subscription.subscribed_on)
    last_day = datetime.date(year, 12, 31)
    if subscription.ended_on is not None:
        last_day = min(last_day, subscription.ended_on)
    if first_day > today or last_day < first_day:
        return None
    plans = _tariff_plans(subscription.authority_id, year)
    if not plans:
        return None  # no tariff for the year (or one without plans)
    tariff = next(iter(plans.values())).tariff
    plan = _plan_of(subscription, plans, bins, on=min(today, last_day))
    if plan is None:
        return None
    counted_until = min(today, last_day)
    lifts, grams = subscription_usage(
        subscription=subscription, first_day=first_day, last_day=counted_until
    )
    days_counted = (counted_until - first_day).days + 1
    ahead = (last_day - counted_until).days  # the days after today, to the year's end
    invoiced_cents, billed_until, billed_extra = _invoiced_in_year(subscription, year)
    # The days no published invoice bills yet, from the day after the last one billed.
    rest_first = first_day
    if billed_until is not None:
        rest_first = max(first_day, billed_until + datetime.timedelta(days=1))
    if rest_first == first_day:
        rest_lifts, rest_grams = lifts, grams
    elif rest_first <= counted_until:
        rest_lifts, rest_grams = subscription_usage(
            subscription=subscription, first_day=rest_first, last_day=counted_until
        )
    else:
        rest_lifts, rest_grams = 0, 0
    # Those lifts, and the days ahead at the year's pace so far.
    projected_rest = rest_lifts + round_half_up(lifts * ahead, days_counted)
    projected_rest_grams = rest_grams + round_half_up(grams * ahead, days_counted)
    unit_word = "ouverture" if subscription.kind == SubscriptionKind.BADGE else "levée"
    computed = None
    extra_so_far = billed_extra
    if rest_first <= last_day:
        computed = invoice_compute(
            plan=plan,
            vat_rate_bp=tariff.vat_rate_bp,
            year=year,
            first_day=rest_first,
            last_day=last_day,
            lifts=projected_rest,
            weight_grams=projected_rest_grams,
            unit_word=unit_word,
        )
        extra_so_far += max(0, rest_lifts - computed.included_lifts)
    return Estimate(
        invoiced_cents=invoiced_cents,
        billed_until=billed_until,
        year=year,
        first_day=first_day,
        last_day=last_day,
        today=today,
        plan_label=plan.label,
        extra_lift_cents=plan.extra_lift_cents,
        vat_rate_bp=tariff.vat_rate_bp,
        unit_word=unit_word,
        included_lifts=year_share(plan.included_lifts, year, first_day, last_day),
        lifts_so_far=lifts,
        projected_lifts=lifts - rest_lifts + projected_rest,
        extra_so_far=extra_so_far,
        computed=computed,
    )


def _tariff_plans(authority_id: int, year: int) -> dict[tuple[str, int | None], TariffPlan]:
    """The plans of the tariff in force for `year` (its highest version), each with its
    tariff, by (kind, volume): one query for what `tariff_in_force` and the plans take two."""
    in_force = (
        Tariff.objects.filter(authority_id=authority_id, year=year)
        .order_by("-version")
        .values("pk")[:1]
    )
    plans = TariffPlan.objects.filter(
        authority_id=authority_id, tariff_id=Subquery(in_force)
    ).select_related("tariff")
    return {(p.kind, p.volume_litres): p for p in plans}


def _plan_of(
    subscription: Subscription,
    plans: dict[tuple[str, int | None], TariffPlan],
    bins: Iterable[Bin] | None,
    *,
    on: datetime.date,
) -> TariffPlan | None:
    """`plan_for` with the plans already read: « bac » takes its own plan's volume, else its
    household-waste bin's (the bin in place `on`, else the latest), the bins read if `bins`
    is None."""
    if subscription.kind != SubscriptionKind.BAC:
        return plans.get((subscription.kind, None))
    if subscription.plan_volume_litres:
        return plans.get((PlanKind.BAC, subscription.plan_volume_litres))
    if bins is None:
        bins = Bin.objects.filter(
            authority_id=subscription.authority_id,
            subscription_id=subscription.pk,
            flux=Flux.ORDURES_MENAGERES,
        )
    household = [
        HouseholdBin(b.pk, b.subscription_id, b.volume_litres, b.delivered_on, b.removed_on)
        for b in bins
        if b.subscription_id == subscription.pk and b.flux == Flux.ORDURES_MENAGERES
    ]
    b = household_bin_on(household, on)
    return plans.get((PlanKind.BAC, b.volume_litres)) if b else None


def _invoiced_in_year(
    subscription: Subscription, year: int
) -> tuple[int, datetime.date | None, int]:
    """What the year's published invoices of the subscription total (TTC), the last day
    they bill, and the lifts they billed as extra (one query)."""
    extra = (
        InvoiceLine.objects.filter(invoice_id=OuterRef("pk"), kind=LineKind.EXTRA)
        .order_by()
        .values("invoice_id")
        .annotate(lifts=Sum("quantity"))
        .values("lifts")
    )
    done = (
        Invoice.objects.filter(
            authority_id=subscription.authority_id,
            subscription=subscription,
            published_at__isnull=False,
            period_start__gte=datetime.date(year, 1, 1),
            period_end__lte=datetime.date(year, 12, 31),
        )
        .exclude(number="")
        .exclude(status__in=[InvoiceStatus.SIMULATED, InvoiceStatus.CANCELLED])
        .annotate(extra_lifts=Coalesce(Subquery(extra), 0))
        .aggregate(total=Sum("total_cents"), until=Max("period_end"), extra=Sum("extra_lifts"))
    )
    return done["total"] or 0, done["until"], done["extra"] or 0
