"""The estimate of the next invoice on « Mes bacs/levées »: the plan's lifts used so far,
the extra ones, the year's invoice at the pace so far, from the real tariff."""

import datetime
import zoneinfo

import pytest

from levee.billing.estimates import invoice_estimate
from levee.billing.models import LineKind
from levee.collection.models import DropOff, DropOffKind, Flux
from levee.collection.tests.conftest import make_bin
from levee.collection.tests.test_production_page import weekly_lifts
from testkit import ccfi_world

from .factories import make_invoice, make_simulation, make_tariff

pytestmark = pytest.mark.django_db
PARIS = zoneinfo.ZoneInfo("Europe/Paris")
TODAY = datetime.date(2024, 7, 1)  # day 183 of a year of 366


def lifts(bin, count, *, start=datetime.datetime(2024, 1, 2, 7, tzinfo=PARIS)):
    weekly_lifts(bin, count, start=start)


@pytest.fixture
def dupont():
    authority, account = ccfi_world()
    return account


@pytest.fixture
def subscription(dupont):
    return dupont.subscriptions.get()


def test_there_is_none_without_a_tariff_for_the_year(dupont, subscription):
    make_bin(dupont, chip="E0040001")
    make_tariff(dupont.authority, 2023)
    assert invoice_estimate(subscription=subscription, today=TODAY) is None
    assert invoice_estimate(subscription=None, today=TODAY) is None


def test_there_is_none_without_a_plan_for_the_bin(dupont, subscription):
    make_bin(dupont, chip="E0040001", volume=240)
    make_tariff(dupont.authority, 2024)  # a 120 L plan only
    assert invoice_estimate(subscription=subscription, today=TODAY) is None


def test_within_the_plan_so_far_the_pace_projects_extra_lifts(dupont, subscription):
    bin = make_bin(dupont, chip="E0040001")
    lifts(bin, 10)
    lifts(
        make_bin(dupont, chip="E0040002", flux=Flux.RECYCLABLES, volume=240), 20
    )  # not billed per lift
    make_tariff(dupont.authority, 2024)  # 60 € a year, 12 lifts, 3,50 € each extra
    estimate = invoice_estimate(subscription=subscription, today=TODAY)
    assert (estimate.first_day, estimate.last_day) == (
        datetime.date(2024, 1, 1),
        datetime.date(2024, 12, 31),
    )
    assert estimate.plan_label == "Bac 120 L" and estimate.extra_lift_cents == 350
    assert (estimate.lifts_so_far, estimate.included_lifts) == (10, 12)
    assert (estimate.included_used, estimate.included_left, estimate.extra_so_far) == (10, 2, 0)
    # 10 lifts in 183 days of 366: 20 in the year, 8 beyond the 12 included.
    assert estimate.projected_lifts == 20
    assert estimate.computed.extra_lifts == 8
    assert estimate.total_cents == 6000 + 8 * 350


def test_lifts_beyond_the_plan_count_as_extra_so_far(dupont, subscription):
    lifts(make_bin(dupont, chip="E0040001"), 15)
    make_tariff(dupont.authority, 2024, vat_rate_bp=1000)
    estimate = invoice_estimate(subscription=subscription, today=TODAY)
    assert (estimate.included_used, estimate.included_left, estimate.extra_so_far) == (12, 0, 3)
    assert estimate.projected_lifts == 30
    # 60 € + 18 × 3,50 € = 123 € HT, 10 % VAT.
    assert estimate.computed.total_ht_cents == 12300
    assert estimate.total_cents == 13530


def test_the_tariff_in_force_is_the_latest_version(dupont, subscription):
    lifts(make_bin(dupont, chip="E0040001"), 6)
    make_tariff(dupont.authority, 2024)
    make_tariff(dupont.authority, 2024, version=2, plans=[{"fixed_cents": 9000}])
    estimate = invoice_estimate(subscription=subscription, today=TODAY)
    assert estimate.total_cents == 9000  # 12 projected: all included


def test_a_subscription_started_this_year_is_prorated_from_its_first_day(dupont, subscription):
    subscription.subscribed_on = datetime.date(2024, 4, 1)
    subscription.save(update_fields=["subscribed_on"])
    lifts(
        make_bin(dupont, chip="E0040001", delivered_on=datetime.date(2024, 4, 1)),
        13,
        start=datetime.datetime(2024, 4, 2, 7, tzinfo=PARIS),
    )
    make_tariff(dupont.authority, 2024)
    estimate = invoice_estimate(subscription=subscription, today=TODAY)
    assert estimate.first_day == datetime.date(2024, 4, 1)
    # Days 91..365 of the year: 12 × 366 // 366 - 12 × 91 // 366 = 12 - 2 = 10 included.
    assert estimate.included_lifts == 10
    assert estimate.extra_so_far == 3
    # 13 lifts in 92 days, 275 days billed: 39 lifts.
    assert estimate.projected_lifts == 39
    assert estimate.computed.lines[0].amount_cents == 6000 - 6000 * 91 // 366


def test_an_ended_subscription_is_estimated_on_its_days_only(dupont, subscription):
    subscription.ended_on = datetime.date(2024, 3, 31)
    subscription.save(update_fields=["ended_on"])
    lifts(make_bin(dupont, chip="E0040001"), 5)
    make_tariff(dupont.authority, 2024)
    estimate = invoice_estimate(subscription=subscription, today=TODAY)
    assert estimate.last_day == datetime.date(2024, 3, 31)
    assert estimate.projected_lifts == 5  # its days are over: no projection


def test_a_subscription_starting_later_has_no_estimate(dupont, subscription):
    subscription.subscribed_on = datetime.date(2024, 9, 1)
    subscription.save(update_fields=["subscribed_on"])
    make_bin(dupont, chip="E0040001")
    make_tariff(dupont.authority, 2024)
    assert invoice_estimate(subscription=subscription, today=TODAY) is None


def test_a_badge_counts_openings(dupont, subscription):
    subscription.kind = "badge"
    subscription.save(update_fields=["kind"])
    DropOff.objects.bulk_create(
        DropOff(
            authority=dupont.authority,
            account=dupont,
            kind=DropOffKind.BADGE,
            occurred_at=datetime.datetime(2024, 2, 1, 9, tzinfo=PARIS) + datetime.timedelta(days=n),
            site="Conteneur place de la gare",
        )
        for n in range(3)
    )
    make_tariff(
        dupont.authority,
        2024,
        plans=[{"kind": "badge", "included_lifts": 24, "extra_lift_cents": 100}],
    )
    estimate = invoice_estimate(subscription=subscription, today=TODAY)
    assert estimate.unit_word == "ouverture" and estimate.lifts_so_far == 3
    assert "Ouvertures incluses" in estimate.computed.lines[1].label


def test_the_next_invoice_prices_the_days_no_invoice_billed_with_their_share_of_the_plan(
    dupont, subscription
):
    lifts(make_bin(dupont, chip="E0040001"), 15)
    make_tariff(dupont.authority, 2024)
    first_half = (datetime.date(2024, 1, 1), datetime.date(2024, 6, 30))
    make_invoice(
        dupont,
        number="2400240000001",
        issued_on=datetime.date(2024, 7, 2),
        total_cents=4000,
        period=first_half,
    )
    # Neither last year's invoice, nor a simulation, nor an unpublished one count.
    make_invoice(
        dupont, number="2300240000009", issued_on=datetime.date(2023, 7, 2), total_cents=7000
    )
    make_simulation(dupont, year=2024)
    make_invoice(
        dupont,
        number="2400240000002",
        issued_on=datetime.date(2024, 7, 2),
        total_cents=900,
        period=first_half,
        published=False,
    )
    estimate = invoice_estimate(subscription=subscription, today=TODAY)
    # The second half, as the next run will bill it: 30,17 € of the 60 € a year, 7 of the 12
    # lifts, and 15 lifts at the year's pace (15 in its first 183 days) for its 183 days
    # ahead: 8 extra × 3,50 €. The year is the first half's 40 € and that.
    second_half_fixed = 6000 - 6000 * 182 // 366
    assert estimate.next_invoice_cents == second_half_fixed + 8 * 350 == 5817
    assert estimate.invoiced_cents == 4000
    assert estimate.total_cents == 4000 + 5817
    assert estimate.projected_lifts == 30


def test_the_first_halfs_extra_lifts_stay_extra_whatever_the_second_half_brings(
    dupont, subscription
):
    """Marie Martin's « Mon forfait » counted her lifts against the year's 12 while her
    invoice of the first half had billed some as extra: a half-year counts its lifts
    against its own share of the plan (5 of the 12 in the first half, 7 in the second)."""
    bin = make_bin(dupont, chip="E0040001")
    lifts(bin, 10)  # January to mid-March
    lifts(bin, 2, start=datetime.datetime(2024, 10, 1, 7, tzinfo=PARIS))
    make_tariff(dupont.authority, 2024)
    make_invoice(
        dupont,
        number="2400240000001",
        issued_on=datetime.date(2024, 7, 2),
        total_cents=2983 + 5 * 350,
        period=(datetime.date(2024, 1, 1), datetime.date(2024, 6, 30)),
        lines=[
            ("Abonnement Bac 120 L du 01/01/2024 au 30/06/2024", 1, 2983, 2983, LineKind.FIXED),
            ("Levées incluses dans le forfait : 5 sur 5", 5, 0, 0, LineKind.INCLUDED),
            ("5 levées supplémentaires × 3,50 €", 5, 350, 1750, LineKind.EXTRA),
        ],
    )
    estimate = invoice_estimate(subscription=subscription, today=datetime.date(2024, 10, 15))
    assert (estimate.lifts_so_far, estimate.included_lifts) == (12, 12)
    assert estimate.extra_so_far == 5  # billed in the first half; the 2 since are within 7
    assert (estimate.included_used, estimate.included_left) == (7, 5)
    # The second half: 2 lifts so far and 3 ahead at the year's pace, within its 7.
    assert estimate.projected_lifts == 10 + 5
    assert estimate.next_invoice_cents == 6000 - 6000 * 182 // 366
    assert estimate.total_cents == 2983 + 1750 + 3017


def test_the_next_invoice_is_never_below_zero(dupont, subscription):
    lifts(make_bin(dupont, chip="E0040001"), 1)
    make_tariff(dupont.authority, 2024)
    make_invoice(
        dupont, number="2400240000001", issued_on=datetime.date(2024, 1, 2), total_cents=9000
    )
    estimate = invoice_estimate(subscription=subscription, today=TODAY)
    # The year is billed to its last day: it comes to what its invoice said, nothing next.
    assert estimate.year_billed
    assert estimate.total_cents == 9000 and estimate.next_invoice_cents == 0


def test_a_year_billed_to_its_last_day_has_no_next_invoice_to_estimate(dupont, subscription):
    """Issue 12: after a real run over the second half not over yet, the space estimated a
    « prochaine facture » for that year still."""
    lifts(make_bin(dupont, chip="E0040001"), 15)
    make_tariff(dupont.authority, 2024)
    make_invoice(
        dupont,
        number="2400240000001",
        issued_on=datetime.date(2024, 7, 2),
        total_cents=4000,
        period=(datetime.date(2024, 1, 1), datetime.date(2024, 6, 30)),
    )
    assert not invoice_estimate(subscription=subscription, today=TODAY).year_billed
    make_invoice(
        dupont,
        number="2400240000002",
        issued_on=datetime.date(2024, 7, 1),
        total_cents=5000,
        period=(datetime.date(2024, 7, 1), datetime.date(2024, 12, 31)),
    )
    estimate = invoice_estimate(subscription=subscription, today=TODAY)
    assert estimate.year_billed
    assert estimate.billed_until == datetime.date(2024, 12, 31)


def test_the_space_says_the_year_is_billed_instead_of_an_estimate(client, dupont):
    from django.utils import timezone

    from testkit import make_user

    year = timezone.localdate().year
    make_bin(dupont, chip="E0040001")
    make_tariff(dupont.authority, year)
    make_invoice(
        dupont,
        number=f"{year % 100}00240000001",
        issued_on=timezone.localdate(),
        total_cents=5000,
        period=(datetime.date(year, 1, 1), datetime.date(year, 12, 31)),
    )
    client.force_login(make_user("dupont59@gmail.com", accounts=[dupont]))
    page = " ".join(
        client.get("/flandre-interieure/espace/mes-bacs-levees/").content.decode().split()
    )
    assert f"Mon forfait en {year}" in page
    assert "Estimation de ma prochaine facture" not in page
    assert f"Votre facture {year} est émise jusqu'au 31/12/{year}" in page
