"""Reads of billing: the tariff in force, a subscription's plan and its usage over days.

The one-subscription functions (`plan_for`, `subscription_usage`) say what an invoice uses;
the `*_of_subscriptions` ones answer the same for a chunk of a billing run in one query
each, so a run's query count does not grow with its subscriptions.
"""

import datetime
from collections.abc import Iterable
from typing import NamedTuple

from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.utils import timezone

from levee.collection.models import Bin, DropOff, DropOffKind, Flux, Lift, QuantityUnit
from levee.subscribers.models import Subscription, SubscriptionKind

from .models import Invoice, InvoiceStatus, PlanKind, Tariff, TariffPlan


def tariff_in_force(*, authority, year: int) -> Tariff | None:
    """The highest version of the authority's tariff grid for `year`, or None."""
    return Tariff.objects.filter(authority_id=authority.pk, year=year).order_by("-version").first()


def day_bounds(first_day: datetime.date, last_day: datetime.date):
    """The aware datetimes [start, end) of the local days first_day..last_day inclusive."""
    start = timezone.make_aware(datetime.datetime.combine(first_day, datetime.time.min))
    end = timezone.make_aware(
        datetime.datetime.combine(last_day + datetime.timedelta(days=1), datetime.time.min)
    )
    return start, end


def _plans_by_key(tariff: Tariff) -> dict[tuple[str, int | None], TariffPlan]:
    return {(p.kind, p.volume_litres): p for p in tariff.plans.all()}


class HouseholdBin(NamedTuple):
    pk: int
    subscription_id: int
    volume_litres: int
    delivered_on: datetime.date
    removed_on: datetime.date | None


def household_bin_on(bins: list[HouseholdBin], on: datetime.date) -> HouseholdBin | None:
    """The household-waste bin in place on `on`, else the latest delivered one."""
    bins = sorted(bins, key=lambda b: (b.delivered_on, b.pk))
    in_place = [
        b for b in bins if b.delivered_on <= on and (b.removed_on is None or b.removed_on >= on)
    ]
    if in_place:
        return in_place[-1]
    return bins[-1] if bins else None


def plan_for(*, tariff: Tariff, subscription: Subscription, on: datetime.date) -> TariffPlan | None:
    """The plan of `tariff` that prices `subscription` on the day `on`.

    A « bac » subscription takes the plan of its own volume (`plan_volume_litres`, chosen at
    J'emménage or by an agent), else that of its household-waste bin's volume (the bin in
    place that day, else its latest one); « sac » and « badge » the plan of their kind.
    None when the grid has no such plan (or a « bac » subscription has neither).
    """
    return plans_of_subscriptions(
        tariff=tariff, subscriptions=[subscription], on={subscription.pk: on}
    )[subscription.pk]


def plans_of_subscriptions(
    *, tariff: Tariff, subscriptions: Iterable[Subscription], on: dict[int, datetime.date]
) -> dict[int, TariffPlan | None]:
    """`plan_for` of many subscriptions at once (two queries): subscription pk → plan.

    `on` gives each subscription's day (its pk → date).
    """
    subscriptions = list(subscriptions)
    plans = _plans_by_key(tariff)
    bac_ids = [
        s.pk for s in subscriptions if s.kind == SubscriptionKind.BAC and not s.plan_volume_litres
    ]
    bins: dict[int, list[HouseholdBin]] = {}
    if bac_ids:
        for row in Bin.objects.filter(
            authority_id=tariff.authority_id,
            subscription_id__in=bac_ids,
            flux=Flux.ORDURES_MENAGERES,
        ).values_list("pk", "subscription_id", "volume_litres", "delivered_on", "removed_on"):
            b = HouseholdBin(*row)
            bins.setdefault(b.subscription_id, []).append(b)
    result: dict[int, TariffPlan | None] = {}
    for s in subscriptions:
        if s.kind == SubscriptionKind.BAC and s.plan_volume_litres:
            result[s.pk] = plans.get((PlanKind.BAC, s.plan_volume_litres))
        elif s.kind == SubscriptionKind.BAC:
            b = household_bin_on(bins.get(s.pk, []), on[s.pk])
            result[s.pk] = plans.get((PlanKind.BAC, b.volume_litres)) if b else None
        else:
            result[s.pk] = plans.get((s.kind, None))
    return result


def subscription_usage(
    *, subscription: Subscription, first_day: datetime.date, last_day: datetime.date
) -> tuple[int, int]:
    """(lifts, net weight in grams) of `subscription` over first_day..last_day inclusive.

    « bac »: the lifts of its household-waste bins; « badge »: its account's badge openings
    (their weight from the openings measured in kg); « sac »: nothing is counted.
    """
    return usage_of_subscriptions(
        subscriptions=[subscription], days={subscription.pk: (first_day, last_day)}
    ).get(subscription.pk, (0, 0))


def usage_of_subscriptions(
    *,
    subscriptions: Iterable[Subscription],
    days: dict[int, tuple[datetime.date, datetime.date]],
) -> dict[int, tuple[int, int]]:
    """`subscription_usage` of many subscriptions in at most two queries.

    `days` gives each subscription's (first_day, last_day). Subscriptions with no usage are
    left out of the result.
    """
    subscriptions = list(subscriptions)
    if not subscriptions:
        return {}
    authority_id = subscriptions[0].authority_id
    start, end = day_bounds(min(d[0] for d in days.values()), max(d[1] for d in days.values()))
    result: dict[int, tuple[int, int]] = {}

    bacs = [s for s in subscriptions if s.kind == SubscriptionKind.BAC]
    if bacs:
        # One query for the widest span, each subscription's own days as a condition: the
        # chunk's subscriptions mostly share the run's period, so the conditions are few.
        spans: dict[tuple[datetime.date, datetime.date], list[int]] = {}
        for s in bacs:
            spans.setdefault(days[s.pk], []).append(s.pk)
        condition = Q()
        for (first, last), ids in spans.items():
            lo, hi = day_bounds(first, last)
            condition |= Q(bin__subscription_id__in=ids, lifted_at__gte=lo, lifted_at__lt=hi)
        rows = (
            Lift.objects.filter(
                authority_id=authority_id,
                bin__authority_id=authority_id,
                bin__flux=Flux.ORDURES_MENAGERES,
                lifted_at__gte=start,
                lifted_at__lt=end,
            )
            .filter(condition)
            .values("bin__subscription_id")
            .annotate(lifts=Count("pk"), grams=Sum("net_weight_grams"))
            .order_by()
        )
        for row in rows:
            result[row["bin__subscription_id"]] = (row["lifts"], row["grams"] or 0)

    badges = [s for s in subscriptions if s.kind == SubscriptionKind.BADGE]
    if badges:
        by_account: dict[int, list[Subscription]] = {}
        for s in badges:
            by_account.setdefault(s.account_id, []).append(s)
        openings = DropOff.objects.filter(
            authority_id=authority_id,
            account_id__in=list(by_account),
            kind=DropOffKind.BADGE,
            occurred_at__gte=start,
            occurred_at__lt=end,
        ).values_list("account_id", "occurred_at", "quantity", "quantity_unit")
        for account_id, occurred_at, quantity, unit in openings:
            day = timezone.localdate(occurred_at)
            grams = (
                round(quantity * 1000) if quantity is not None and unit == QuantityUnit.KG else 0
            )
            for s in by_account[account_id]:
                first, last = days[s.pk]
                if first <= day <= last:
                    lifts, total = result.get(s.pk, (0, 0))
                    result[s.pk] = (lifts + 1, total + grams)
    return result


def invoices_of_lift(lift: Lift) -> list[Invoice]:
    """The issued invoices (numbered, not cancelled) on which `lift` was counted, oldest
    first: a run counts the lifts of a subscription's household-waste bins over the days of
    its invoice (`usage_of_subscriptions`), so those of its bin's subscription whose days
    hold the lift's day. An invoice brought from the previous software without a
    subscription counts when it is its account's. None for a lift of another flux.

    Invoice lines do not name their lifts: this is what « Contester une levée » tells the
    agent before he cancels a lift already billed."""
    if lift.bin.flux != Flux.ORDURES_MENAGERES:
        return []
    day = timezone.localdate(lift.lifted_at)
    return list(
        Invoice.objects.filter(
            Q(subscription_id=lift.bin.subscription_id)
            | Q(subscription__isnull=True, account_id=lift.bin.account_id),
            authority_id=lift.authority_id,
            period_start__lte=day,
            period_end__gte=day,
        )
        .exclude(number="")
        .exclude(status__in=[InvoiceStatus.SIMULATED, InvoiceStatus.CANCELLED])
        .order_by("issued_on", "number")
    )


ANOMALIES_SHOWN = 50


def subscriptions_without_plan(*, authority, year: int):
    """« Abonnements sans forfait »: the subscriptions running in `year` that the grid in
    force for it cannot price, those a run of the year would leave unbilled (a « bac »
    without a plan volume nor a household-waste bin of a volume of the grid, a plan volume
    the grid lacks, a kind without a plan); by reference, with their account. None when the
    year has no grid (a run refuses to start then)."""
    tariff = tariff_in_force(authority=authority, year=year)
    if tariff is None:
        return None
    plans = list(tariff.plans.values_list("kind", "volume_litres"))
    volumes = [v for kind, v in plans if kind == PlanKind.BAC]
    kinds = [kind for kind, v in plans if kind != PlanKind.BAC]
    bin_priced = Exists(
        Bin.objects.filter(
            authority_id=authority.pk,
            subscription_id=OuterRef("pk"),
            flux=Flux.ORDURES_MENAGERES,
            volume_litres__in=volumes,
        )
    )
    bac_unpriced = Q(plan_volume_litres__isnull=True) & ~bin_priced
    if volumes:
        bac_unpriced |= Q(plan_volume_litres__isnull=False) & ~Q(plan_volume_litres__in=volumes)
    else:
        bac_unpriced = Q(pk__isnull=False)
    return (
        Subscription.objects.filter(
            authority_id=authority.pk, subscribed_on__lte=datetime.date(year, 12, 31)
        )
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=datetime.date(year, 1, 1)))
        .filter(
            (Q(kind=SubscriptionKind.BAC) & bac_unpriced)
            | (~Q(kind=SubscriptionKind.BAC) & ~Q(kind__in=kinds))
        )
        .select_related("account", "commune")
        .order_by("reference")
    )


def bac_plans_offered(*, authority, year: int) -> list[TariffPlan]:
    """The « bac » plans a household may choose (« Volume du bac », « Forfait »): those of
    the grid in force for `year`, else of the latest year's grid before it, by volume."""
    tariff = (
        Tariff.objects.filter(authority_id=authority.pk, year__lte=year)
        .order_by("-year", "-version")
        .first()
    )
    if tariff is None:
        return []
    return list(tariff.plans.filter(kind=PlanKind.BAC).order_by("volume_litres"))
