"""The production of comparable households (flow 8): per commune, flux and bin volume, what
one bin in service produces in a month on average.

The totals are precomputed into `ProductionAverage` by `production_averages_refresh` (after
each import, and by `manage.py periodic`), so that « Mes bacs/levées » reads twelve rows
whatever the size of the commune. A group needs at least MIN_BINS bins in service in a month
to be kept: an average over two households would tell each one about the other.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, F, Max, Q, Sum
from django.db.models.functions import ExtractMonth, ExtractYear
from django.utils import timezone

from levee.authorities.models import Authority

from .models import Bin, ImportStatus, Lift, ProductionAverage

MIN_BINS = 5

Group = tuple[int, str, int]  # (commune_id, flux, volume_litres)


def _month_index(day: datetime.date) -> int:
    return day.year * 12 + day.month - 1


@transaction.atomic
def production_averages_refresh(*, authority: Authority, today: datetime.date | None = None) -> int:
    """Recomputes the authority's averages from its bins and lifts; returns the rows kept.

    Two grouped queries (bins, lifts); the bins in service per month are counted with a
    running sum over delivery and removal months rather than bin by month."""
    today = today or timezone.localdate()
    last_month = _month_index(today)

    # +1 the month a bin is delivered, -1 the month after it is removed.
    deltas: dict[Group, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    bins = (
        Bin.objects.filter(authority=authority)
        .values("subscription__commune_id", "flux", "volume_litres", "delivered_on", "removed_on")
        .order_by()
    )
    for row in bins.iterator(chunk_size=5000):
        group = (row["subscription__commune_id"], row["flux"], row["volume_litres"])
        deltas[group][_month_index(row["delivered_on"])] += 1
        if row["removed_on"] is not None:
            deltas[group][_month_index(row["removed_on"]) + 1] -= 1

    lifts = (
        Lift.objects.filter(authority=authority)
        .annotate(
            commune_id=F("bin__subscription__commune_id"),
            flux=F("bin__flux"),
            volume=F("bin__volume_litres"),
            year=ExtractYear("lifted_at"),
            month=ExtractMonth("lifted_at"),
        )
        .values("commune_id", "flux", "volume", "year", "month")
        .annotate(count=Count("pk"), grams=Sum("net_weight_grams"))
        .order_by()
    )
    totals = {
        (r["commune_id"], r["flux"], r["volume"], r["year"] * 12 + r["month"] - 1): (
            r["count"],
            r["grams"] or 0,
        )
        for r in lifts
    }

    now = timezone.now()
    rows = []
    for group, changes in deltas.items():
        in_service = 0
        for month in range(min(changes), last_month + 1):
            in_service += changes.get(month, 0)
            if in_service < MIN_BINS:
                continue
            count, grams = totals.get((*group, month), (0, 0))
            rows.append(
                ProductionAverage(
                    authority=authority,
                    commune_id=group[0],
                    flux=group[1],
                    volume_litres=group[2],
                    year=month // 12,
                    month=month % 12 + 1,
                    bins=in_service,
                    lifts=count,
                    net_weight_grams=grams,
                    computed_at=now,
                )
            )
    ProductionAverage.objects.filter(authority=authority).delete()
    ProductionAverage.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


@dataclass(frozen=True)
class MonthAverage:
    lifts: Decimal
    kg: Decimal


def comparable_monthly_averages(
    bins: list[Bin], year: int, *, flux: str | None = None
) -> dict[int, MonthAverage] | None:
    """Month → what comparable households produce with the same bins (one query).

    The household's bins in service in `year` (of `flux` if given) each add the average of
    their group; None when no group has enough households to compare with."""
    groups = {
        (b.subscription.commune_id, b.flux, b.volume_litres)
        for b in bins
        if (not flux or b.flux == flux)
        and b.delivered_on.year <= year
        and (b.removed_on is None or b.removed_on.year >= year)
    }
    if not groups:
        return None
    authority_id = bins[0].authority_id
    match = Q()
    for commune_id, bin_flux, volume in groups:
        match |= Q(commune_id=commune_id, flux=bin_flux, volume_litres=volume)
    rows = ProductionAverage.objects.filter(match, authority_id=authority_id, year=year)
    by_month: dict[int, list] = {}
    for row in rows:
        groups_seen, lifts, kg = by_month.get(row.month, (0, Decimal(0), Decimal(0)))
        by_month[row.month] = (
            groups_seen + 1,
            lifts + Decimal(row.lifts) / row.bins,
            kg + Decimal(row.net_weight_grams) / 1000 / row.bins,
        )
    # A month where one of the household's bins has too few peers is not compared at all:
    # half a comparison would look like the household produces more than its neighbours.
    averages = {
        month: MonthAverage(lifts=lifts.quantize(Decimal("0.1")), kg=kg.quantize(Decimal("0.1")))
        for month, (groups_seen, lifts, kg) in by_month.items()
        if groups_seen == len(groups)
    }
    return averages or None


def production_averages_refresh_due(*, now: datetime.datetime | None = None) -> int:
    """Refreshes the authorities whose averages are stale: computed before their last
    finished import, or on an earlier day (bins delivered and months ending move them).
    Run by `manage.py periodic`; returns the number of authorities refreshed."""
    now = now or timezone.now()
    start_of_day = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    authorities = Authority.objects.filter(is_active=True).annotate(
        computed_at=Max("productionaverage__computed_at"),
        imported_at=Max(
            "importbatch__finished_at", filter=Q(importbatch__status=ImportStatus.DONE)
        ),
    )
    refreshed = 0
    for authority in authorities:
        stale = authority.computed_at is None or authority.computed_at < start_of_day
        if stale or (authority.imported_at and authority.imported_at > authority.computed_at):
            production_averages_refresh(authority=authority, today=timezone.localdate(now))
            refreshed += 1
    return refreshed
