"""The arithmetic of an invoice: pure functions on integers, no database.

Prorating works on cumulative shares of the tariff's year: the part of a yearly amount A
for the days [a, b) of a year of Y days is floor(A·b/Y) − floor(A·a/Y). The parts of any
partition of the year (two half-years, a subscription ended and another started the same
day, …) telescope to exactly A: prorating never loses nor invents a cent.
"""

import datetime
from dataclasses import dataclass

from levee.billing.models import LineKind
from levee.lib.templatetags.levee_format import euros


@dataclass(frozen=True)
class Line:
    kind: str
    label: str
    quantity: int
    unit_cents: int
    amount_cents: int


@dataclass(frozen=True)
class Computed:
    lines: tuple[Line, ...]
    total_ht_cents: int
    vat_rate_bp: int
    vat_cents: int
    total_cents: int
    included_lifts: int
    extra_lifts: int


@dataclass(frozen=True)
class PlanPrices:
    """The figures of a `TariffPlan` that the arithmetic needs (a plan or a test double)."""

    label: str
    fixed_cents: int
    included_lifts: int
    extra_lift_cents: int
    kg_cents: int | None = None


def year_days(year: int) -> int:
    return (datetime.date(year + 1, 1, 1) - datetime.date(year, 1, 1)).days


def year_share(amount: int, year: int, first_day: datetime.date, last_day: datetime.date) -> int:
    """The part of a yearly `amount` for the days first_day..last_day (inclusive) of `year`."""
    start = datetime.date(year, 1, 1)
    total = year_days(year)
    a = (first_day - start).days
    b = (last_day - start).days + 1
    if not (0 <= a < b <= total):
        raise ValueError("the days must lie within the tariff's year, in order")
    return amount * b // total - amount * a // total


def round_half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded to the nearest integer, halves away from zero."""
    q, r = divmod(abs(numerator), denominator)
    if 2 * r >= denominator:
        q += 1
    return q if numerator >= 0 else -q


def vat_of(total_ht_cents: int, vat_rate_bp: int) -> int:
    return round_half_up(total_ht_cents * vat_rate_bp, 10_000)


def invoice_compute(
    *,
    plan: PlanPrices,
    vat_rate_bp: int,
    year: int,
    first_day: datetime.date,
    last_day: datetime.date,
    lifts: int,
    weight_grams: int = 0,
    unit_word: str = "levée",
) -> Computed:
    """The lines and totals of one subscription billed for first_day..last_day of `year`.

    `first_day`/`last_day` are the billed period already cut to the days the subscription
    was active. `lifts` counts the lifts (or badge openings, `unit_word="ouverture"`) of
    those days, `weight_grams` their net weight.
    """
    fixed = year_share(plan.fixed_cents, year, first_day, last_day)
    included = year_share(plan.included_lifts, year, first_day, last_day)
    extra = max(0, lifts - included)
    days = f"du {first_day:%d/%m/%Y} au {last_day:%d/%m/%Y}"
    lines = [
        Line(LineKind.FIXED, f"Abonnement {plan.label} {days}", 1, fixed, fixed),
        Line(
            LineKind.INCLUDED,
            f"{unit_word.capitalize()}s incluses dans le forfait : {min(lifts, included)} "
            f"sur {included}",
            min(lifts, included),
            0,
            0,
        ),
    ]
    if extra:
        lines.append(
            Line(
                LineKind.EXTRA,
                f"{extra} {unit_word}{'s' if extra > 1 else ''} supplémentaire"
                f"{'s' if extra > 1 else ''} × {euros(plan.extra_lift_cents)}",
                extra,
                plan.extra_lift_cents,
                extra * plan.extra_lift_cents,
            )
        )
    if plan.kg_cents and weight_grams:
        amount = round_half_up(weight_grams * plan.kg_cents, 1000)
        kg = round_half_up(weight_grams, 1000)
        lines.append(
            Line(
                LineKind.WEIGHT,
                f"Poids collecté : {kg} kg × {euros(plan.kg_cents)}",
                kg,
                plan.kg_cents,
                amount,
            )
        )
    total_ht = sum(line.amount_cents for line in lines)
    vat = vat_of(total_ht, vat_rate_bp)
    return Computed(
        lines=tuple(lines),
        total_ht_cents=total_ht,
        vat_rate_bp=vat_rate_bp,
        vat_cents=vat,
        total_cents=total_ht + vat,
        included_lifts=included,
        extra_lifts=extra,
    )


def hundredths_text(value: int | None) -> str:
    """12050 → « 120,50 »: how the forms show cents and basis points back."""
    if value is None:
        return ""
    return f"{value // 100},{value % 100:02d}"


def percent_text(bp: int) -> str:
    """1000 → « 10 », 550 → « 5,5 »."""
    return hundredths_text(bp).rstrip("0") if bp % 100 else str(bp // 100)
