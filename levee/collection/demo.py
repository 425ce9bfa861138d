"""Demo bins, lifts and drop-offs for the demo authorities' subscriptions (PRODUCT.md
« Demo data »): called by levee.demo.services.demo_load.

Each subscription draws from its own random generator (seeded by its authority and
reference), so the data is the same on every machine and does not change when other
accounts are added. Subscriptions that already have bins are left alone: running it again
adds nothing.
"""

import datetime
import random
import zoneinfo

from django.db import transaction
from django.utils import timezone

from levee.subscribers.models import Subscription, SubscriptionKind

from .models import Bin, DropOff, DropOffKind, Flux, Lift, QuantityUnit

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
DEMO_SLUGS = ("flandre-interieure", "pilat-rhodanien")
FIRST_LIFT_DATE = datetime.date(2021, 1, 1)
# Seed 004's account: one 120 L household-waste bin, lifted weekly-ish since 30/06/2022.
DUPONT_CCFI = ("flandre-interieure", "00001")
DECHETERIES = {
    "flandre-interieure": ["Déchèterie de Bailleul", "Déchèterie d'Hazebrouck"],
    "pilat-rhodanien": ["Déchèterie de Pélussin", "Déchèterie de Saint-Pierre-de-Bœuf"],
}
GLASS_POINTS = {
    "flandre-interieure": "Point d'apport verre, place de la Gare",
    "pilat-rhodanien": "Point d'apport verre, place des Croix",
}


@transaction.atomic
def demo_lifts_load(*, today: datetime.date | None = None) -> int:
    """Bins, lifts and a few drop-offs for every « Bac » subscription of the demo
    authorities that has no bin yet. Returns the number of subscriptions given bins."""
    today = today or timezone.localdate()
    subscriptions = list(
        Subscription.objects.filter(
            authority__slug__in=DEMO_SLUGS, kind=SubscriptionKind.BAC, bins__isnull=True
        )
        .select_related("authority")
        .order_by("authority_id", "reference")
    )
    if not subscriptions:
        return 0
    plans = []  # (rng, subscription, bin) drawn in order, lifts after the bins have ids
    bins = []
    for subscription in subscriptions:
        rng = random.Random(f"{subscription.authority.slug}/{subscription.reference}")
        for index, (flux, volume) in enumerate(_bins_draw(rng, subscription), start=1):
            bin = Bin(
                authority_id=subscription.authority_id,
                subscription=subscription,
                account_id=subscription.account_id,
                flux=flux,
                volume_litres=volume,
                chip_number=f"E{subscription.authority.code}{subscription.reference}{index}",
                tank_number=f"C{subscription.reference}-{index}",
                delivered_on=subscription.subscribed_on,
                removed_on=subscription.ended_on,
            )
            bins.append(bin)
            plans.append((rng, subscription, bin))
    Bin.objects.bulk_create(bins)

    lifts, dropoffs = [], []
    for rng, subscription, bin in plans:
        lifts.extend(_lifts_draw(rng, subscription, bin, today))
    for subscription in subscriptions:
        rng = random.Random(f"{subscription.authority.slug}/{subscription.reference}/apports")
        dropoffs.extend(_dropoffs_draw(rng, subscription, today))
    Lift.objects.bulk_create(lifts, batch_size=5000)
    DropOff.objects.bulk_create(dropoffs, batch_size=5000)
    return len(subscriptions)


def _bins_draw(rng: random.Random, subscription: Subscription) -> list[tuple[str, int]]:
    if (subscription.authority.slug, subscription.reference) == DUPONT_CCFI:
        return [(Flux.ORDURES_MENAGERES, 120)]
    household = (Flux.ORDURES_MENAGERES, rng.choice([120, 120, 120, 240]))
    if rng.random() < 0.4:
        return [household, (Flux.RECYCLABLES, rng.choice([240, 360]))]
    return [household]


def _lifts_draw(
    rng: random.Random, subscription: Subscription, bin: Bin, today: datetime.date
) -> list[Lift]:
    """Weekly rounds (fortnightly for recyclables) from the subscription's start or
    2021-01-01, until its end or yesterday; the bin is not put out every time."""
    start = max(subscription.subscribed_on, FIRST_LIFT_DATE)
    end = min(subscription.ended_on or today, today - datetime.timedelta(days=1))
    household = bin.flux == Flux.ORDURES_MENAGERES
    period = 7 if household else 14
    put_out = rng.uniform(0.55, 0.9) if household else rng.uniform(0.6, 0.95)
    low, high = (8.0, 18.0) if bin.volume_litres <= 120 else (12.0, 25.0)
    if not household:
        low, high = 3.0, 10.0
    # The round's weekday and the truck's hour are fixed for the dwelling.
    day = start + datetime.timedelta(days=(rng.randrange(5) - start.weekday()) % 7)
    hour = rng.randint(6, 11)
    vehicle = rng.choice(["BOM-01", "BOM-02", "BOM-03", "BOM-04"])
    lifts = []
    while day <= end:
        if rng.random() < put_out:
            lifted_at = datetime.datetime(
                day.year,
                day.month,
                day.day,
                hour,
                rng.randrange(60),
                rng.randrange(60),
                tzinfo=PARIS,
            )
            lifts.append(
                Lift(
                    authority_id=bin.authority_id,
                    bin=bin,
                    lifted_at=lifted_at,
                    net_weight_grams=round(rng.uniform(low, high) * 10) * 100,  # to 0.1 kg
                    vehicle=vehicle,
                )
            )
        day += datetime.timedelta(days=period)
    return lifts


def _dropoffs_draw(
    rng: random.Random, subscription: Subscription, today: datetime.date
) -> list[DropOff]:
    """A few déchèterie visits and glass drop-offs for about one account in five."""
    if rng.random() >= 0.2:
        return []
    slug = subscription.authority.slug
    start = max(subscription.subscribed_on, FIRST_LIFT_DATE)
    end = min(subscription.ended_on or today, today - datetime.timedelta(days=1))
    span = (end - start).days
    if span <= 0:
        return []
    badge = f"B{subscription.authority.code}{subscription.reference}"
    days = sorted(rng.sample(range(span), min(span, rng.randint(2, 8))))
    dropoffs = []
    for offset in days:
        day = start + datetime.timedelta(days=offset)
        occurred_at = datetime.datetime(
            day.year, day.month, day.day, rng.randint(9, 17), rng.randrange(60), tzinfo=PARIS
        )
        if rng.random() < 0.6:
            litres = rng.choice([250, 500, 750, 1000])
            dropoffs.append(
                DropOff(
                    authority_id=subscription.authority_id,
                    account_id=subscription.account_id,
                    kind=DropOffKind.DECHETERIE,
                    occurred_at=occurred_at,
                    site=rng.choice(DECHETERIES[slug]),
                    quantity=litres,
                    quantity_unit=QuantityUnit.LITRES,
                    # The weighbridge's weight, 120 to 180 g a litre (no draw of its own:
                    # the demo's other figures stay what they were).
                    weight_grams=litres * (120 + occurred_at.minute),
                    badge_number=badge,
                )
            )
        else:
            dropoffs.append(
                DropOff(
                    authority_id=subscription.authority_id,
                    account_id=subscription.account_id,
                    kind=DropOffKind.BADGE,
                    occurred_at=occurred_at,
                    site=GLASS_POINTS[slug],
                    flux=Flux.VERRE,
                    badge_number=badge,
                )
            )
    return dropoffs
