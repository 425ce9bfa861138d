"""Reads for « Mes bacs/levées » (flow 8): each one a fixed number of queries, however long
the account's history. Every query filters on the account's authority (tenant guard). And
the back office's list of imports."""

import datetime
from decimal import Decimal

from django.db.models import Count, F, QuerySet, Sum, Value
from django.db.models.functions import ExtractMonth, ExtractYear

from levee.subscribers.models import Account

from .models import Bin, DropOff, Flux, ImportBatch, Lift


def bins_for_account(account: Account) -> QuerySet[Bin]:
    """The account's bins, in service first, then by delivery date, with their
    subscription's address (commune included)."""
    return (
        Bin.objects.filter(authority_id=account.authority_id, account=account)
        .select_related("subscription__commune")
        .order_by(F("removed_on").asc(nulls_first=True), "delivered_on", "pk")
    )


def bin_spans_for_account(account: Account) -> QuerySet[Bin]:
    """The account's bins with only their flux and their days in service (what the flux
    filter of « Mes bacs/levées » needs)."""
    return Bin.objects.filter(authority_id=account.authority_id, account=account).only(
        "flux", "delivered_on", "removed_on"
    )


def lifts_for_account(
    account: Account,
    *,
    year: int | None = None,
    flux: str | None = None,
    with_bin: bool = True,
) -> QuerySet[Lift]:
    """The account's lifts, newest first, with their bin and its address (one query);
    `with_bin=False` when the page has read the bins already."""
    lifts = Lift.objects.filter(authority_id=account.authority_id, bin__account=account)
    if with_bin:
        lifts = lifts.select_related("bin__subscription__commune")
    if year is not None:
        lifts = lifts.filter(lifted_at__year=year)
    if flux:
        lifts = lifts.filter(bin__flux=flux)
    return lifts.order_by("-lifted_at", "-pk")


def dropoffs_for_account(
    account: Account, *, year: int | None = None, flux: str | None = None
) -> QuerySet[DropOff]:
    """The account's drop-offs (badge openings, déchèterie visits), newest first."""
    dropoffs = DropOff.objects.filter(authority_id=account.authority_id, account=account)
    if year is not None:
        dropoffs = dropoffs.filter(occurred_at__year=year)
    if flux:
        dropoffs = dropoffs.filter(flux=flux)
    return dropoffs.order_by("-occurred_at", "-pk")


def activity_years(account: Account) -> list[int]:
    """The years that have lifts or drop-offs, newest first (for the year filter; one
    query)."""
    return activity_years_and_dropoff_years(account)[0]


def activity_years_and_dropoff_years(account: Account) -> tuple[list[int], set[int]]:
    """(the years that have lifts or drop-offs, newest first; those that have drop-offs):
    one query, so that a year without drop-offs costs none to list them."""
    lift_years = (
        Lift.objects.filter(authority_id=account.authority_id, bin__account=account)
        .annotate(year=ExtractYear("lifted_at"), dropoff=Value(False))
        .values_list("year", "dropoff")
        .order_by()
    )
    dropoff_years = (
        DropOff.objects.filter(authority_id=account.authority_id, account=account)
        .annotate(year=ExtractYear("occurred_at"), dropoff=Value(True))
        .values_list("year", "dropoff")
        .order_by()
    )
    rows = set(lift_years.union(dropoff_years))
    years = sorted({year for year, _ in rows}, reverse=True)
    return years, {year for year, dropoff in rows if dropoff}


def monthly_totals(
    account: Account, year: int, *, flux: str | None = None
) -> list[tuple[int, int, Decimal]]:
    """(month 1–12, number of lifts, kilograms) for every month of `year`, in Paris time."""
    return monthly_totals_and_flux_counts(account, year, flux=flux)[0]


def monthly_totals_and_flux_counts(
    account: Account, year: int, *, flux: str | None = None
) -> tuple[list[tuple[int, int, Decimal]], list[tuple[str, int]]]:
    """`monthly_totals`, and (flux, number of lifts) of the year in the order of Flux, the
    flux without lifts left out: one query for both."""
    rows = (
        lifts_for_account(account, year=year, flux=flux, with_bin=False)
        .order_by()
        .annotate(month=ExtractMonth("lifted_at"))
        .values("month", "bin__flux")
        .annotate(count=Count("pk"), grams=Sum("net_weight_grams"))
    )
    by_month: dict[int, list[int]] = {}
    by_flux: dict[str, int] = {}
    for row in rows:
        month = by_month.setdefault(row["month"], [0, 0])
        month[0] += row["count"]
        month[1] += row["grams"] or 0
        by_flux[row["bin__flux"]] = by_flux.get(row["bin__flux"], 0) + row["count"]
    totals = [
        (month, by_month.get(month, (0, 0))[0], Decimal(by_month.get(month, (0, 0))[1]) / 1000)
        for month in range(1, 13)
    ]
    return totals, [(code, by_flux[code]) for code in Flux.values if by_flux.get(code)]


def year_estimate(
    account: Account, year: int, today: datetime.date, *, flux: str | None = None
) -> int | None:
    """The lifts `year` will count at the pace so far (one query); see pace_estimate."""
    if year > today.year:
        return None
    return pace_estimate(lifts_for_account(account, year=year, flux=flux).count(), year, today)


def pace_estimate(count: int, year: int, today: datetime.date) -> int | None:
    """The lifts `year` will count when `count` were made by `today`.

    A past year gives its actual count; a future year, or a current one without any lift
    yet, gives None (nothing to project from)."""
    if year > today.year:
        return None
    if year < today.year:
        return count
    if not count:
        return None
    start = datetime.date(year, 1, 1)
    days_so_far = (today - start).days + 1
    days_in_year = (datetime.date(year + 1, 1, 1) - start).days
    return round(count * days_in_year / days_so_far)


def import_batches(authority):
    """The authority's imports, newest first, without their report and summary (the list
    shows neither)."""
    return (
        ImportBatch.objects.filter(authority=authority)
        .select_related("created_by")
        .defer("rejected_report", "summary")
        .order_by("-created_at", "-pk")
    )


# --- Several accounts at once (a login's, across authorities) --------------------------
# The Ecocito-compatible reads (levee/ecocito) list the lifts and drop-offs of every
# account of a login in one page: the same filters as above, for a list of accounts, each
# read a fixed number of queries however many accounts and lifts there are. The tenant
# guard stays: the authority column is filtered on as well as the accounts.


def _of_accounts(accounts, account_field: str) -> dict:
    return {
        "authority_id__in": sorted({a.authority_id for a in accounts}),
        f"{account_field}__in": sorted(a.pk for a in accounts),
    }


def lifts_for_accounts(
    accounts,
    *,
    start: datetime.datetime | None = None,
    end: datetime.datetime | None = None,
    flux: str | None = None,
    order: tuple[str, ...] = ("-lifted_at", "-pk"),
) -> QuerySet[Lift]:
    """The lifts of `accounts` from `start` (included) to `end` (excluded), newest first
    unless `order` says otherwise, with their bin and its address (one query)."""
    lifts = Lift.objects.filter(**_of_accounts(accounts, "bin__account_id")).select_related(
        "bin__subscription__commune"
    )
    if start is not None:
        lifts = lifts.filter(lifted_at__gte=start)
    if end is not None:
        lifts = lifts.filter(lifted_at__lt=end)
    if flux:
        lifts = lifts.filter(bin__flux=flux)
    return lifts.order_by(*order)


def dropoffs_for_accounts(
    accounts,
    *,
    start: datetime.datetime | None = None,
    end: datetime.datetime | None = None,
    flux: str | None = None,
    kind: str | None = None,
    order: tuple[str, ...] = ("-occurred_at", "-pk"),
) -> QuerySet[DropOff]:
    """The drop-offs of `accounts` from `start` (included) to `end` (excluded), newest
    first unless `order` says otherwise; `kind` keeps one kind only (the badge openings of
    the containers)."""
    dropoffs = DropOff.objects.filter(**_of_accounts(accounts, "account_id"))
    if start is not None:
        dropoffs = dropoffs.filter(occurred_at__gte=start)
    if end is not None:
        dropoffs = dropoffs.filter(occurred_at__lt=end)
    if flux:
        dropoffs = dropoffs.filter(flux=flux)
    if kind:
        dropoffs = dropoffs.filter(kind=kind)
    return dropoffs.order_by(*order)


def monthly_lifts_for_accounts(
    accounts, *, start, end, flux: str | None = None
) -> dict[tuple[int, int], tuple[int, int]]:
    """{(year, month): (number of lifts, grams)} of `accounts` between `start` and `end`,
    in Paris time, the months without lifts left out (one query)."""
    rows = (
        lifts_for_accounts(accounts, start=start, end=end, flux=flux)
        .select_related(None)
        .order_by()
        .annotate(year=ExtractYear("lifted_at"), month=ExtractMonth("lifted_at"))
        .values("year", "month")
        .annotate(count=Count("pk"), grams=Sum("net_weight_grams"))
    )
    return {(r["year"], r["month"]): (r["count"], r["grams"] or 0) for r in rows}


def monthly_dropoffs_for_accounts(
    accounts, *, start, end, flux: str | None = None, kind: str | None = None
) -> dict[tuple[int, int], int]:
    """{(year, month): number of drop-offs} of `accounts` between `start` and `end`, in
    Paris time, the months without any left out (one query)."""
    rows = (
        dropoffs_for_accounts(accounts, start=start, end=end, flux=flux, kind=kind)
        .order_by()
        .annotate(year=ExtractYear("occurred_at"), month=ExtractMonth("occurred_at"))
        .values("year", "month")
        .annotate(count=Count("pk"))
    )
    return {(r["year"], r["month"]): r["count"] for r in rows}


def fluxes_for_accounts(accounts) -> list[str]:
    """The flux of the bins and of the drop-offs of `accounts`, in the order of Flux (one
    query)."""
    if not accounts:
        return []
    bins = Bin.objects.filter(**_of_accounts(accounts, "account_id")).values_list("flux")
    dropoffs = (
        DropOff.objects.filter(**_of_accounts(accounts, "account_id"))
        .exclude(flux="")
        .values_list("flux")
    )
    present = {flux for (flux,) in bins.order_by().union(dropoffs.order_by())}
    return [code for code in Flux.values if code in present]
