import datetime

import pytest
from django.db.models import F

from levee.collection.demo import demo_lifts_load
from levee.collection.models import Bin, DropOff, Flux, Lift, ProductionAverage
from levee.subscribers.models import Account, Subscription

pytestmark = pytest.mark.django_db
TODAY = DEMO_TODAY = datetime.date(2025, 10, 15)


@pytest.fixture
def demo(demo_world, db):
    """The demo with its lifts until TODAY, loaded once for the module."""


def test_the_demo_gives_every_bin_subscription_bins_and_lifts_once(demo):
    counts = (Bin.objects.count(), Lift.objects.count(), DropOff.objects.count())
    assert counts[1] > 10_000 and counts[2] > 0

    assert demo_lifts_load(today=TODAY) == 0
    assert (Bin.objects.count(), Lift.objects.count(), DropOff.objects.count()) == counts
    assert not Subscription.objects.filter(kind="bac", bins__isnull=True).exists()
    assert not Lift.objects.filter(lifted_at__date__gte=TODAY).exists()
    assert not Lift.objects.exclude(authority_id=F("bin__authority_id")).exists()
    # Comparable households exist in the demo: Mes bacs/levées shows an average.
    assert ProductionAverage.objects.filter(authority__slug="flandre-interieure").exists()


def test_dupont_has_one_120_litre_bin_lifted_weekly_ish_since_june_2022(demo):
    dupont = Account.objects.get(authority__slug="flandre-interieure", code="00001")
    bin = Bin.objects.get(account=dupont)
    assert (bin.flux, bin.volume_litres, bin.delivered_on) == (
        Flux.ORDURES_MENAGERES,
        120,
        datetime.date(2022, 6, 30),
    )
    lifts = Lift.objects.filter(bin=bin)
    weeks = (TODAY - datetime.date(2022, 6, 30)).days // 7
    assert weeks * 0.5 < lifts.count() < weeks
    assert lifts.order_by("lifted_at").first().lifted_at.date() >= datetime.date(2022, 6, 30)
    assert all(8000 <= w <= 25000 for w in lifts.values_list("net_weight_grams", flat=True))
    pilat = Account.objects.get(authority__slug="pilat-rhodanien", code="10042")
    assert Lift.objects.filter(bin__account=pilat, authority=pilat.authority).exists()


def test_the_numbers_are_the_same_on_every_run(demo):
    demo_lifts_load(today=TODAY)
    first = list(Bin.objects.order_by("chip_number").values_list("chip_number", "tank_number"))
    sample = list(
        Lift.objects.filter(bin__chip_number=first[0][0])
        .order_by("lifted_at")
        .values_list("lifted_at", "net_weight_grams")[:20]
    )
    Lift.objects.all().delete()
    DropOff.objects.all().delete()
    Bin.objects.all().delete()
    demo_lifts_load(today=TODAY)
    assert first == list(
        Bin.objects.order_by("chip_number").values_list("chip_number", "tank_number")
    )
    assert sample == list(
        Lift.objects.filter(bin__chip_number=first[0][0])
        .order_by("lifted_at")
        .values_list("lifted_at", "net_weight_grams")[:20]
    )
