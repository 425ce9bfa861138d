"""Demo tariffs, billing and payment settings, and the invoices of past years (PRODUCT.md
« Demo data »): called by levee.demo.services.demo_data_load.

The past invoices stand for what an authority brings from its previous billing software:
they are computed from the demo lifts with the demo tariffs (`pricing.invoice_compute`),
numbered without gaps per authority and year, most of them paid. Seed 004's invoice is
among them: account 00001 of the CCFI, 2300240069928 of 02/07/2023, 87,94 €, unpaid — the
first number of the CCFI's 2023 sequence, whose first value is 069928. Created once: an
authority that already has invoices is left alone.
"""

import datetime
import random
import zoneinfo
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, Q, Sum
from schwifty import IBAN

from levee.authorities.models import Authority
from levee.billing.models import (
    BillingSettings,
    Invoice,
    InvoiceLine,
    InvoiceSequence,
    InvoiceStatus,
    PlanKind,
    Tariff,
    TariffPlan,
)
from levee.billing.pricing import PlanPrices, invoice_compute
from levee.collection.models import Flux, Lift
from levee.payments.demo import demo_collections_load, demo_payments_load
from levee.payments.mandates import mandate_create
from levee.payments.models import DebitSchedule, GatewayName, PaymentSettings
from levee.subscribers.models import PaymentMode, Subscription, SubscriptionKind

PARIS = zoneinfo.ZoneInfo("Europe/Paris")


@dataclass(frozen=True)
class DemoBilling:
    # Half-years (issued 2 July and 2 January) or years (issued 15 March of the next year).
    half_yearly: bool
    first_year: int
    last_year: int  # tariffs until this year
    vat_rate_bp: int
    # (volume, annual fixed part, included lifts per year, extra lift, price per kg) in cents
    bins: tuple[tuple[int, int, int, int, int | None], ...]
    billed_from: datetime.date  # the first period billed by Levée's predecessor, kept
    first_values: dict[int, int]  # the first number of a year's sequence, when not 1
    treasury_name: str
    grace_days: int
    creditor_identifier: str


DEMO_BILLING = {
    # Seed 004: M DUPONT's 120 L bin, 21 lifts from January to June 2023 — 26 included a
    # year (12 in those 181 days), 9 extra at 3,05 € and 122,00 € × 181/365 of fixed part
    # (60,49 €): 87,94 €. The tutorial pays it on today's demo, hence a long grace period.
    "flandre-interieure": DemoBilling(
        half_yearly=True,
        first_year=2022,
        last_year=2026,
        vat_rate_bp=0,
        bins=((120, 12200, 26, 305, None), (240, 19800, 26, 520, None)),
        billed_from=datetime.date(2022, 7, 1),
        first_values={2023: 69928},
        treasury_name="TRES. HAZEBROUCK",
        grace_days=3650,
        creditor_identifier="FR59ZZZ824612",
    ),
    "pilat-rhodanien": DemoBilling(
        half_yearly=False,
        first_year=2021,
        last_year=2026,
        vat_rate_bp=1000,
        bins=((120, 9500, 12, 350, 8), (240, 14500, 12, 600, 8)),
        billed_from=datetime.date(2021, 1, 1),
        first_values={},
        treasury_name="SGC DE SAINT-CHAMOND",
        grace_days=60,
        creditor_identifier="FR28ZZZ571903",
    ),
}
# Tariffs rise by 2 % a year around the seed's year (amounts rounded to the 10 cents).
REFERENCE_YEAR = 2023


@transaction.atomic
def demo_billing_load(*, authority: Authority, today: datetime.date) -> int:
    """Settings, tariffs and past invoices of a demo authority. Returns the invoices made."""
    demo = DEMO_BILLING[authority.slug]
    BillingSettings.objects.get_or_create(
        authority=authority,
        defaults={
            "due_days": 30,
            "online_payment_grace_days": demo.grace_days,
            "treasury_name": demo.treasury_name,
        },
    )
    PaymentSettings.objects.get_or_create(
        authority=authority,
        defaults={
            "gateway": GatewayName.SANDBOX,
            "creditor_identifier": demo.creditor_identifier,
        },
    )
    demo_payments_load(authority=authority)
    tariffs = {year: _tariff_ensure(authority, demo, year) for year in _years(demo)}
    if Invoice.objects.filter(authority=authority).exists():
        return 0
    made = 0
    numbers: dict[int, int] = {}
    for year, first_day, last_day, issued_on in _periods(demo):
        if issued_on > today:
            break
        if first_day < demo.billed_from:
            continue
        made += _period_bill(
            authority, tariffs[year], first_day, last_day, issued_on, today, demo, numbers
        )
    _mandates_ensure(authority, today)
    demo_collections_load(authority=authority, today=today)
    InvoiceSequence.objects.bulk_create(
        InvoiceSequence(
            authority=authority,
            year=year,
            first_value=demo.first_values.get(year, 1),
            next_value=last + 1,
        )
        for year, last in numbers.items()
    )
    return made


def _mandates_ensure(authority: Authority, today: datetime.date) -> None:
    """The SEPA mandates of the accounts paying by direct debit, signed when they
    subscribed: their échéancier shows in Mes informations."""
    subscriptions = (
        Subscription.objects.filter(authority=authority, payment_mode=PaymentMode.DIRECT_DEBIT)
        .exclude(iban="")
        .filter(account__mandates__isnull=True)
        .select_related("account__authority")
        .order_by("reference")
    )
    for subscription in subscriptions:
        rng = random.Random(f"{authority.slug}/{subscription.reference}/mandate")
        mandate_create(
            account=subscription.account,
            schedule=rng.choice([DebitSchedule.MONTHLY, DebitSchedule.PER_INVOICE]),
            holder_name=subscription.account.holder_name.upper(),
            iban=subscription.iban,
            bic=IBAN(subscription.iban).bic or "",
            signed_on=subscription.subscribed_on,
            today=today,
        )


def _years(demo: DemoBilling) -> range:
    return range(demo.first_year, demo.last_year + 1)


def _tariff_ensure(authority: Authority, demo: DemoBilling, year: int) -> Tariff:
    tariff, created = Tariff.objects.get_or_create(
        authority=authority,
        year=year,
        version=1,
        defaults={"vat_rate_bp": demo.vat_rate_bp, "note": "Grille votée par le conseil"},
    )
    if created:
        rise = 1.02 ** (year - REFERENCE_YEAR)
        TariffPlan.objects.bulk_create(
            TariffPlan(
                authority=authority,
                tariff=tariff,
                kind=PlanKind.BAC,
                volume_litres=volume,
                label=f"Bac {volume} L",
                fixed_cents=round(fixed * rise / 10) * 10,
                included_lifts=included,
                extra_lift_cents=round(extra * rise / 5) * 5,
                kg_cents=kg,
            )
            for volume, fixed, included, extra, kg in demo.bins
        )
    return tariff


def _periods(demo: DemoBilling):
    """(tariff year, first day, last day, invoice date) of each billed period, in order."""
    for year in _years(demo):
        if demo.half_yearly:
            yield (
                year,
                datetime.date(year, 1, 1),
                datetime.date(year, 6, 30),
                datetime.date(year, 7, 2),
            )
            yield (
                year,
                datetime.date(year, 7, 1),
                datetime.date(year, 12, 31),
                datetime.date(year + 1, 1, 2),
            )
        else:
            yield (
                year,
                datetime.date(year, 1, 1),
                datetime.date(year, 12, 31),
                datetime.date(year + 1, 3, 15),
            )


def _period_bill(authority, tariff, first_day, last_day, issued_on, today, demo, numbers):
    """The invoices of one period, numbered in the order of the subscriptions' references."""
    plans = {p.volume_litres: p for p in tariff.plans.all()}
    subscriptions = list(
        Subscription.objects.filter(
            authority=authority,
            kind=SubscriptionKind.BAC,
            subscribed_on__lte=last_day,
        )
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=first_day))
        .select_related("account", "commune", "authority")
        .order_by("reference")
    )
    volumes = dict(
        Subscription.objects.filter(
            authority=authority, bins__flux=Flux.ORDURES_MENAGERES
        ).values_list("pk", "bins__volume_litres")
    )
    start = datetime.datetime.combine(first_day, datetime.time(), PARIS)
    end = datetime.datetime.combine(last_day + datetime.timedelta(days=1), datetime.time(), PARIS)
    usage = {
        row["bin__subscription_id"]: (row["n"], row["grams"])
        for row in Lift.objects.filter(
            authority=authority,
            bin__flux=Flux.ORDURES_MENAGERES,
            lifted_at__gte=start,
            lifted_at__lt=end,
        )
        .values("bin__subscription_id")
        .annotate(n=Count("id"), grams=Sum("net_weight_grams"))
    }
    invoices, lines_of = [], []
    for subscription in subscriptions:
        plan = plans.get(volumes.get(subscription.pk))
        if plan is None:
            continue
        active_from = max(first_day, subscription.subscribed_on)
        active_to = min(last_day, subscription.ended_on or last_day)
        lifts, grams = usage.get(subscription.pk, (0, 0))
        computed = invoice_compute(
            plan=PlanPrices(
                plan.label,
                plan.fixed_cents,
                plan.included_lifts,
                plan.extra_lift_cents,
                plan.kg_cents,
            ),
            vat_rate_bp=tariff.vat_rate_bp,
            year=tariff.year,
            first_day=active_from,
            last_day=active_to,
            lifts=lifts,
            weight_grams=grams,
        )
        number = numbers.get(tariff.year, demo.first_values.get(tariff.year, 1) - 1) + 1
        numbers[tariff.year] = number
        account = subscription.account
        invoices.append(
            Invoice(
                authority=authority,
                account=account,
                subscription=subscription,
                tariff=tariff,
                year=tariff.year,
                number=f"{tariff.year % 100:02d}{authority.code}{number:06d}",
                issued_on=issued_on,
                due_on=issued_on + datetime.timedelta(days=30),
                period_start=active_from,
                period_end=active_to,
                total_ht_cents=computed.total_ht_cents,
                vat_rate_bp=computed.vat_rate_bp,
                vat_cents=computed.vat_cents,
                total_cents=computed.total_cents,
                payer_name=account.holder_name.upper(),
                payer_address=(account.billing_address_line or subscription.address_line).upper(),
                collection_address=subscription.address_line.upper(),
                direct_debit=subscription.payment_mode == PaymentMode.DIRECT_DEBIT,
                published_at=datetime.datetime.combine(issued_on, datetime.time(6), PARIS),
                **_settlement(subscription, issued_on, today),
            )
        )
        lines_of.append(computed.lines)
    Invoice.objects.bulk_create(invoices)
    InvoiceLine.objects.bulk_create(
        InvoiceLine(
            authority=authority,
            invoice=invoice,
            position=position,
            kind=line.kind,
            label=line.label,
            quantity=line.quantity,
            unit_cents=line.unit_cents,
            amount_cents=line.amount_cents,
        )
        for invoice, lines in zip(invoices, lines_of, strict=True)
        for position, line in enumerate(lines, start=1)
    )
    return len(invoices)


# Invoices left unpaid on the demo: seed 004's, and MARTIN Marie's latest (PRODUCT.md).
UNPAID = {("00001", datetime.date(2023, 7, 2))}
MARTIN = "00002"


def _settlement(subscription, issued_on, today) -> dict:
    """Paid 5 to 40 days after the invoice, by debit for accounts paying so; a few of
    the last year's invoices, seed 004's and Mme MARTIN's latest left unpaid."""
    # Seeded by natural keys only: ids differ from one database to the next.
    rng = random.Random(f"{subscription.authority.slug}/{subscription.reference}/{issued_on}")
    paid_on = issued_on + datetime.timedelta(days=rng.randint(5, 40))
    unpaid = (
        (subscription.reference, issued_on) in UNPAID
        or (subscription.reference == MARTIN and today - issued_on < datetime.timedelta(days=180))
        or (
            subscription.reference != MARTIN
            and subscription.payment_mode != PaymentMode.DIRECT_DEBIT
            and today - issued_on < datetime.timedelta(days=365)
            and rng.random() < 0.15
        )
        or paid_on > today
    )
    if unpaid:
        return {"status": InvoiceStatus.OPEN}
    debit = subscription.payment_mode == PaymentMode.DIRECT_DEBIT
    return {
        "status": InvoiceStatus.PAID,
        "paid_at": datetime.datetime.combine(paid_on, datetime.time(10, 30), PARIS),
        "paid_by": "prélèvement" if debit else rng.choice(["carte", "carte", "chèque", "virement"]),
    }
