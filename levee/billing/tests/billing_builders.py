"""Builders for the billing tests: a tariff grid, subscriptions with bins and lifts."""

import datetime

from django.utils import timezone

from levee.billing.models import PlanKind, Tariff, TariffPlan
from levee.collection.models import Bin, DropOff, DropOffKind, Flux, Lift
from levee.subscribers.models import Subscription


def make_tariff(authority, *, year=2023, version=1, vat_rate_bp=0, plans=None) -> Tariff:
    """A grid with the bins of 120 L and 240 L, the bag and the badge (yearly HT prices)."""
    tariff = Tariff.objects.create(
        authority=authority, year=year, version=version, vat_rate_bp=vat_rate_bp
    )
    plans = plans or [
        (PlanKind.BAC, 120, "Bac 120 L", 7300, 12, 250),
        (PlanKind.BAC, 240, "Bac 240 L", 14600, 12, 400),
        (PlanKind.SAC, None, "Sacs", 5000, 0, 0),
        (PlanKind.BADGE, None, "Badge", 6000, 24, 100),
    ]
    for kind, volume, label, fixed, included, extra in plans:
        TariffPlan.objects.create(
            authority=authority,
            tariff=tariff,
            kind=kind,
            volume_litres=volume,
            label=label,
            fixed_cents=fixed,
            included_lifts=included,
            extra_lift_cents=extra,
        )
    return tariff


def make_subscription(account, *, reference, kind="bac", subscribed_on, ended_on=None):
    first = account.subscriptions.first()
    return Subscription.objects.create(
        authority=account.authority,
        account=account,
        reference=reference,
        kind=kind,
        subscribed_on=subscribed_on,
        ended_on=ended_on,
        commune=first.commune if first else account.authority.communes.first(),
        postal_code=first.postal_code if first else "59270",
        number="3",
        street="rue de la Gare",
    )


def make_household_bin(subscription, *, volume=120, chip, delivered_on=None, removed_on=None):
    return Bin.objects.create(
        authority=subscription.authority,
        subscription=subscription,
        account=subscription.account,
        flux=Flux.ORDURES_MENAGERES,
        volume_litres=volume,
        chip_number=chip,
        delivered_on=delivered_on or subscription.subscribed_on,
        removed_on=removed_on,
    )


def local(day: datetime.date, hour=7) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def make_lifts(bin_, days, *, grams=12_500):
    Lift.objects.bulk_create(
        [
            Lift(authority=bin_.authority, bin=bin_, lifted_at=local(day), net_weight_grams=grams)
            for day in days
        ]
    )


def make_badge_openings(account, days, *, site="Conteneur Gare"):
    DropOff.objects.bulk_create(
        [
            DropOff(
                authority=account.authority,
                account=account,
                kind=DropOffKind.BADGE,
                occurred_at=local(day, hour=10),
                site=site,
            )
            for day in days
        ]
    )


def every_other_week(year, count, start=datetime.date(2023, 1, 2)):
    start = start.replace(year=year)
    return [start + datetime.timedelta(days=14 * i) for i in range(count)]


def make_households(authority, count, *, lifts=3, start=1, email=True):
    """`count` accounts with a « bac » subscription, a 120 L household bin and `lifts`
    lifts in 2023 each (bulk inserts: a few queries whatever the count)."""
    from levee.subscribers.models import Account

    commune = authority.communes.first()
    codes = [f"H{start + i:05d}" for i in range(count)]
    accounts = Account.objects.bulk_create(
        [
            Account(
                authority=authority,
                code=code,
                portal_key=f"K{code}",
                last_name=f"FOYER {code}",
                email=f"{code.lower()}@example.org" if email else "",
                billing_street="rue du Marché",
                billing_postal_code="59270",
                billing_city=commune.name,
            )
            for code in codes
        ]
    )
    subscriptions = Subscription.objects.bulk_create(
        [
            Subscription(
                authority=authority,
                account=account,
                reference=account.code,
                kind="bac",
                subscribed_on=datetime.date(2022, 1, 1),
                commune=commune,
                postal_code="59270",
                street="rue du Marché",
            )
            for account in accounts
        ]
    )
    bins = Bin.objects.bulk_create(
        [
            Bin(
                authority=authority,
                subscription=s,
                account_id=s.account_id,
                flux=Flux.ORDURES_MENAGERES,
                volume_litres=120,
                chip_number=f"E{s.reference}",
                delivered_on=datetime.date(2022, 1, 1),
            )
            for s in subscriptions
        ]
    )
    Lift.objects.bulk_create(
        [
            Lift(authority=authority, bin=b, lifted_at=local(day), net_weight_grams=10_000)
            for b in bins
            for day in every_other_week(2023, lifts)
        ]
    )
    return subscriptions


def run_created(authority, *, kind="reelle", year=2023, half=None, issued_on=None):
    """A run created without executing it (a real run of 2023 unless told)."""
    from levee.billing.services import billing_run_create

    return billing_run_create(
        authority=authority,
        kind=kind,
        year=year,
        half=half,
        issued_on=issued_on or datetime.date(2023, 7, 2),
        enqueue=False,
    )


def intrude(authority, subscription, number):
    """An invoice entered by hand that holds `number` already (for a day of the year
    before, so that a real run of 2023 may start and crash on its number)."""
    from levee.billing.models import Invoice

    return Invoice.objects.create(
        authority=authority,
        account_id=subscription.account_id,
        year=2023,
        number=number,
        issued_on=datetime.date(2023, 1, 1),
        due_on=datetime.date(2023, 1, 31),
        period_start=datetime.date(2022, 12, 31),
        period_end=datetime.date(2022, 12, 31),
        total_ht_cents=0,
        total_cents=0,
        payer_name="X",
        payer_address="Y",
    )
