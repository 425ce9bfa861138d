import datetime
import itertools
import zoneinfo
from decimal import Decimal

from levee.collection.averages import (
    MIN_BINS,
    comparable_monthly_averages,
    production_averages_refresh,
    production_averages_refresh_due,
)
from levee.collection.models import (
    ImportBatch,
    ImportKind,
    ImportStatus,
    Lift,
    ProductionAverage,
)
from testkit import make_account, pilat_world

from .conftest import make_bin

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
NUMBERS = itertools.count(1)


def lift(bin, when, grams=10000):
    Lift.objects.create(authority=bin.authority, bin=bin, lifted_at=when, net_weight_grams=grams)


def neighbours(authority, count, *, volume=120, delivered_on=datetime.date(2023, 1, 1), **fields):
    bins = []
    for _ in range(count):
        n = next(NUMBERS)
        account = make_account(authority, code=f"1{n:04d}", portal_key=f"KEY{n:05d}")
        bins.append(
            make_bin(
                account,
                chip=f"E{volume}{n:04d}",
                volume=volume,
                delivered_on=delivered_on,
                **fields,
            )
        )
    return bins


def test_a_group_counts_the_bins_in_service_each_month(ccfi):
    authority, _ = ccfi
    bins = neighbours(authority, MIN_BINS)
    late = neighbours(authority, 1, volume=120, delivered_on=datetime.date(2023, 3, 15))[0]
    bins[0].removed_on = datetime.date(2023, 2, 10)
    bins[0].save(update_fields=["removed_on"])
    lift(bins[1], datetime.datetime(2023, 3, 7, 7, tzinfo=PARIS), grams=12000)
    lift(late, datetime.datetime(2023, 3, 21, 7, tzinfo=PARIS), grams=8000)

    production_averages_refresh(authority=authority, today=datetime.date(2023, 4, 30))
    rows = {r.month: r for r in ProductionAverage.objects.filter(authority=authority, year=2023)}
    # Jan and Feb: 5 bins (the removed one still counts in its last month); March: 4 + 1
    # late = 5; April: 5, no lift. No month after today.
    assert {m: rows[m].bins for m in rows} == {1: 5, 2: 5, 3: 5, 4: 5}
    assert (rows[3].lifts, rows[3].net_weight_grams) == (2, 20000)
    assert rows[4].lifts == 0


def test_groups_under_the_minimum_are_not_kept_and_volumes_do_not_mix(ccfi):
    authority, _ = ccfi
    neighbours(authority, MIN_BINS - 1, volume=120)
    neighbours(authority, MIN_BINS, volume=240)
    production_averages_refresh(authority=authority, today=datetime.date(2023, 1, 31))
    assert list(ProductionAverage.objects.values_list("volume_litres", "bins")) == [(240, 5)]


def test_refresh_replaces_the_rows_and_stays_within_the_authority(ccfi):
    authority, _ = ccfi
    bins = neighbours(authority, MIN_BINS)
    pilat, pelussin = pilat_world()
    pilat_bins = []
    for n in range(MIN_BINS):
        account = make_account(pilat, code=f"2{n:04d}", portal_key=f"PIL{n:05d}", commune=pelussin)
        pilat_bins.append(
            make_bin(account, chip=f"P{n:04d}", delivered_on=datetime.date(2023, 1, 1))
        )
    lift(pilat_bins[0], datetime.datetime(2023, 1, 9, 7, tzinfo=PARIS))
    production_averages_refresh(authority=authority, today=datetime.date(2023, 1, 31))
    production_averages_refresh(authority=authority, today=datetime.date(2023, 1, 31))
    rows = ProductionAverage.objects.filter(authority=authority)
    assert rows.count() == 1 and rows.get().lifts == 0  # Pilat's lift is not CCFI's
    assert comparable_monthly_averages(bins[:1], 2023)[1].lifts == Decimal("0.0")


def test_a_household_with_two_bins_adds_both_groups_averages(ccfi, django_assert_num_queries):
    authority, account = ccfi
    om = neighbours(authority, MIN_BINS, volume=120)
    recyclables = neighbours(authority, MIN_BINS, volume=240, flux="recyclables")
    for bin in om:
        lift(bin, datetime.datetime(2023, 1, 10, 7, tzinfo=PARIS), grams=10000)
    lift(recyclables[0], datetime.datetime(2023, 1, 12, 7, tzinfo=PARIS), grams=5000)
    production_averages_refresh(authority=authority, today=datetime.date(2023, 1, 31))
    mine = [om[0], recyclables[0]]
    for bin in mine:
        bin.subscription  # noqa: B018 — loaded before counting queries
    with django_assert_num_queries(1):
        averages = comparable_monthly_averages(mine, 2023)
    assert averages[1].lifts == Decimal("1.2") and averages[1].kg == Decimal("11.0")
    only_recyclables = comparable_monthly_averages(mine, 2023, flux="recyclables")
    assert only_recyclables[1].lifts == Decimal("0.2") and only_recyclables[1].kg == Decimal("1.0")
    assert comparable_monthly_averages(mine, 2023, flux="verre") is None


def test_periodic_refreshes_only_stale_authorities(ccfi):
    authority, _ = ccfi
    neighbours(authority, MIN_BINS)
    morning = datetime.datetime(2023, 3, 1, 8, tzinfo=PARIS)
    assert production_averages_refresh_due(now=morning) == 1  # never computed
    ProductionAverage.objects.update(computed_at=morning)
    assert production_averages_refresh_due(now=morning + datetime.timedelta(hours=2)) == 0
    ImportBatch.objects.create(
        authority=authority,
        kind=ImportKind.LIFTS,
        filename="levees.csv",
        status=ImportStatus.DONE,
        finished_at=morning + datetime.timedelta(hours=1),
    )
    assert production_averages_refresh_due(now=morning + datetime.timedelta(hours=2)) == 1
    ProductionAverage.objects.update(computed_at=morning + datetime.timedelta(hours=2))
    assert production_averages_refresh_due(now=morning + datetime.timedelta(hours=3)) == 0
    assert production_averages_refresh_due(now=morning + datetime.timedelta(days=1)) == 1
