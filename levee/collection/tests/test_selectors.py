import datetime
import zoneinfo
from decimal import Decimal

import pytest

from levee.collection.models import Flux, Lift
from levee.collection.selectors import (
    activity_years,
    bins_for_account,
    lifts_for_account,
    monthly_totals,
    year_estimate,
)
from testkit import make_account

from .conftest import make_bin

PARIS = zoneinfo.ZoneInfo("Europe/Paris")


def lifts_create(authority, bin, count, *, start=datetime.datetime(2022, 7, 4, 7, tzinfo=PARIS)):
    Lift.objects.bulk_create(
        Lift(
            authority=authority,
            bin=bin,
            lifted_at=start + datetime.timedelta(days=7 * n),
            net_weight_grams=12500,
        )
        for n in range(count)
    )


def test_the_selectors_show_the_account_lifts_only(ccfi, bins):
    authority, account = ccfi
    neighbour = make_account(authority, code="00002", portal_key="KBWHLTRA")
    other_bin = make_bin(neighbour, chip="E0040003")
    lifts_create(authority, bins["om"], 3)
    lifts_create(authority, bins["recyclables"], 1)
    lifts_create(authority, other_bin, 5)

    assert list(bins_for_account(account)) == [bins["om"], bins["recyclables"]]
    lifts = list(lifts_for_account(account))
    assert len(lifts) == 4
    assert [lift.lifted_at for lift in lifts] == sorted((x.lifted_at for x in lifts), reverse=True)
    assert len(lifts_for_account(account, flux=Flux.RECYCLABLES)) == 1
    assert len(lifts_for_account(account, year=2021)) == 0


def test_the_year_and_month_follow_paris_time(ccfi, bins):
    authority, account = ccfi
    # 31 December 2022 at 23:30 in Paris is already 2022-12-31 22:30 UTC, still 2022;
    # 1 January 2023 at 00:30 in Paris is 2022-12-31 23:30 UTC, but Paris says 2023.
    for when in (
        datetime.datetime(2022, 12, 31, 23, 30, tzinfo=PARIS),
        datetime.datetime(2023, 1, 1, 0, 30, tzinfo=PARIS),
    ):
        Lift.objects.create(
            authority=authority, bin=bins["om"], lifted_at=when, net_weight_grams=8000
        )
    assert activity_years(account) == [2023, 2022]
    assert monthly_totals(account, 2023)[0] == (1, 1, Decimal("8"))
    assert monthly_totals(account, 2022)[11] == (12, 1, Decimal("8"))


def test_monthly_totals_count_lifts_and_kilograms_per_month(ccfi, bins):
    authority, account = ccfi
    lifts_create(authority, bins["om"], 5, start=datetime.datetime(2023, 3, 1, 7, tzinfo=PARIS))
    totals = monthly_totals(account, 2023)
    assert [month for month, _, _ in totals] == list(range(1, 13))
    assert totals[2] == (3, 5, Decimal("62.5"))
    assert totals[3] == (4, 0, Decimal("0"))


def test_year_estimate_projects_the_pace_so_far(ccfi, bins):
    authority, account = ccfi
    lifts_create(authority, bins["om"], 10, start=datetime.datetime(2024, 1, 2, 7, tzinfo=PARIS))
    # 10 lifts by 10 March 2024 (70 days of a 366-day year): 52 at this pace.
    assert year_estimate(account, 2024, datetime.date(2024, 3, 10)) == 52
    assert year_estimate(account, 2024, datetime.date(2025, 2, 1)) == 10  # a past year: its count
    assert year_estimate(account, 2025, datetime.date(2025, 2, 1)) is None  # nothing yet
    assert year_estimate(account, 2026, datetime.date(2025, 2, 1)) is None


@pytest.mark.parametrize("count", [10, 500])
def test_the_selectors_take_the_same_queries_whatever_the_history(
    ccfi, bins, count, django_assert_num_queries
):
    authority, account = ccfi
    lifts_create(authority, bins["om"], count)
    lifts_create(authority, bins["recyclables"], count)
    with django_assert_num_queries(5):
        list(bins_for_account(account))
        lifts = list(lifts_for_account(account, year=2023))
        [(lift.bin.get_flux_display(), lift.bin.subscription.address_line) for lift in lifts]
        activity_years(account)
        monthly_totals(account, 2023)
        year_estimate(account, 2023, datetime.date(2023, 6, 1))
