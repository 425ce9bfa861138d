"""The arithmetic of invoices, on any figures (hypothesis): lines add up to the total HT to
the cent, the total is HT + VAT, and prorating over any partition of a year never loses
nor invents a cent."""

import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from levee.billing.models import LineKind
from levee.billing.pricing import (
    PlanPrices,
    invoice_compute,
    round_half_up,
    vat_of,
    year_days,
    year_share,
)

years = st.integers(min_value=2000, max_value=2100)
amounts = st.integers(min_value=0, max_value=10_000_000)  # up to 100 000 € a year
plans = st.builds(
    PlanPrices,
    label=st.just("Bac 120 L"),
    fixed_cents=amounts,
    included_lifts=st.integers(min_value=0, max_value=104),
    extra_lift_cents=st.integers(min_value=0, max_value=10_000),
    kg_cents=st.none() | st.integers(min_value=0, max_value=1_000),
)


@st.composite
def periods(draw):
    """(year, first_day, last_day): any days of a year, in order."""
    year = draw(years)
    days = year_days(year)
    a = draw(st.integers(min_value=0, max_value=days - 1))
    b = draw(st.integers(min_value=a, max_value=days - 1))
    start = datetime.date(year, 1, 1)
    return year, start + datetime.timedelta(days=a), start + datetime.timedelta(days=b)


@st.composite
def partitions(draw):
    """(year, [(first_day, last_day), …]): consecutive periods covering the whole year."""
    year = draw(years)
    days = year_days(year)
    cuts = sorted(draw(st.sets(st.integers(min_value=1, max_value=days - 1), max_size=30)))
    start = datetime.date(year, 1, 1)
    bounds = [0, *cuts, days]
    return year, [
        (start + datetime.timedelta(days=a), start + datetime.timedelta(days=b - 1))
        for a, b in zip(bounds, bounds[1:], strict=False)
    ]


@given(
    plan=plans,
    vat_rate_bp=st.integers(min_value=0, max_value=10_000),
    period=periods(),
    lifts=st.integers(min_value=0, max_value=400),
    weight_grams=st.integers(min_value=0, max_value=5_000_000),
)
def test_the_lines_of_any_invoice_add_up_to_its_total_ht_and_the_total_is_ht_plus_vat(
    plan, vat_rate_bp, period, lifts, weight_grams
):
    year, first_day, last_day = period
    c = invoice_compute(
        plan=plan,
        vat_rate_bp=vat_rate_bp,
        year=year,
        first_day=first_day,
        last_day=last_day,
        lifts=lifts,
        weight_grams=weight_grams,
    )
    assert sum(line.amount_cents for line in c.lines) == c.total_ht_cents
    assert c.total_cents == c.total_ht_cents + c.vat_cents
    assert c.vat_cents == vat_of(c.total_ht_cents, vat_rate_bp)
    assert all(line.amount_cents >= 0 for line in c.lines)
    extra = [line for line in c.lines if line.kind == LineKind.EXTRA]
    assert sum(line.quantity for line in extra) == max(0, lifts - c.included_lifts)
    for line in extra:
        assert line.amount_cents == line.quantity * line.unit_cents


@given(amount=amounts, partition=partitions())
def test_prorating_over_any_partition_of_a_year_sums_exactly_to_the_yearly_amount(
    amount, partition
):
    year, parts = partition
    shares = [year_share(amount, year, first, last) for first, last in parts]
    assert sum(shares) == amount
    assert all(share >= 0 for share in shares)


@given(plan=plans, partition=partitions())
def test_the_fixed_parts_and_included_lifts_of_consecutive_invoices_make_the_year(plan, partition):
    year, parts = partition
    invoices = [
        invoice_compute(
            plan=plan, vat_rate_bp=0, year=year, first_day=first, last_day=last, lifts=0
        )
        for first, last in parts
    ]
    fixed = [line.amount_cents for c in invoices for line in c.lines if line.kind == "abonnement"]
    assert sum(fixed) == plan.fixed_cents
    assert sum(c.included_lifts for c in invoices) == plan.included_lifts


def test_half_years_split_the_year_at_the_first_of_july():
    first = year_share(7300, 2023, datetime.date(2023, 1, 1), datetime.date(2023, 6, 30))
    second = year_share(7300, 2023, datetime.date(2023, 7, 1), datetime.date(2023, 12, 31))
    assert (first, second) == (3620, 3680)  # 181 and 184 days of 365


def test_vat_rounds_halves_up():
    assert vat_of(1005, 1000) == 101  # 100,5 cents
    assert vat_of(1004, 1000) == 100
    assert round_half_up(-5, 10) == -1


def test_days_outside_the_tariff_s_year_are_refused():
    with pytest.raises(ValueError, match="within the tariff's year"):
        year_share(100, 2023, datetime.date(2022, 12, 31), datetime.date(2023, 1, 5))


def test_the_lines_read_as_the_invoice_says_them():
    plan = PlanPrices(
        label="Bac 120 L", fixed_cents=7300, included_lifts=12, extra_lift_cents=250, kg_cents=20
    )
    c = invoice_compute(
        plan=plan,
        vat_rate_bp=0,
        year=2023,
        first_day=datetime.date(2023, 1, 1),
        last_day=datetime.date(2023, 12, 31),
        lifts=14,
        weight_grams=175_400,
    )
    assert [line.label for line in c.lines] == [
        "Abonnement Bac 120 L du 01/01/2023 au 31/12/2023",
        "Levées incluses dans le forfait : 12 sur 12",
        "2 levées supplémentaires × 2,50\u00a0€",
        "Poids collecté : 175 kg × 0,20\u00a0€",
    ]
    assert c.total_ht_cents == 7300 + 500 + 3508
