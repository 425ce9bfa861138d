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
