import datetime
import zoneinfo

import pytest
from django.utils import timezone

from levee.collection.models import Bin, DropOff, DropOffKind, Flux, Lift, QuantityUnit
from testkit import ccfi_world, make_account, make_user, pilat_world

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
PASSWORD = "Usager-Ecocito-1!"


def make_bin(account, *, chip, flux=Flux.ORDURES_MENAGERES, tank=""):
    return Bin.objects.create(
        authority=account.authority,
        subscription=account.subscriptions.first(),
        account=account,
        flux=flux,
        volume_litres=120,
        chip_number=chip,
        tank_number=tank,
        delivered_on=datetime.date(2020, 1, 1),
    )


def lift(bin, at: datetime.datetime, grams: int = 12500):
    return Lift.objects.create(
        authority_id=bin.authority_id, bin=bin, lifted_at=at, net_weight_grams=grams
    )


@pytest.fixture
def world(db):
    """Pierre Dupont holds account 00001 at CCFI (household waste and recyclables) and
    10042 at Pilat Rhodanien (household waste, a badge drop-off of glass); Marie Durand
    holds an account of CCFI of her own."""
    ccfi, dupont_ccfi = ccfi_world()
    pilat, pelussin = pilat_world()
    dupont_pilat = make_account(
        pilat,
        code="10042",
        portal_key="VZKRTQPM",
        commune=pelussin,
        postal_code="42410",
        street="rue du Pilat",
        number="3",
    )
    durand = make_account(ccfi, code="00002", portal_key="QWERTYUI", last_name="DURAND")
    bins = {
        "ccfi_om": make_bin(dupont_ccfi, chip="E0040001", tank="C0001"),
        "ccfi_recyclables": make_bin(dupont_ccfi, chip="E0040002", flux=Flux.RECYCLABLES),
        "pilat_om": make_bin(dupont_pilat, chip="E0049999"),
        "durand_om": make_bin(durand, chip="E0040003"),
    }
    year = timezone.localdate().year - 1
    lift(bins["ccfi_om"], datetime.datetime(year, 1, 6, 6, 30, tzinfo=PARIS), 10500)
    lift(bins["ccfi_om"], datetime.datetime(year, 3, 3, 6, 30, tzinfo=PARIS), 11250)
    lift(bins["ccfi_recyclables"], datetime.datetime(year, 3, 10, 7, 0, tzinfo=PARIS), 4000)
    lift(bins["pilat_om"], datetime.datetime(year, 7, 14, 8, 15, tzinfo=PARIS), 9000)
    lift(bins["pilat_om"], datetime.datetime(year + 1, 1, 2, 8, 15, tzinfo=PARIS), 9500)
    lift(bins["durand_om"], datetime.datetime(year, 5, 5, 6, 0, tzinfo=PARIS), 20000)
    DropOff.objects.create(
        authority=pilat,
        account=dupont_pilat,
        kind=DropOffKind.BADGE,
        occurred_at=datetime.datetime(year, 7, 20, 18, 0, tzinfo=PARIS),
        site="PAV place de l'Église",
        flux=Flux.VERRE,
        quantity=None,
        quantity_unit=QuantityUnit.NONE,
        badge_number="B-77",
    )
    user = make_user("dupont59@gmail.com", password=PASSWORD, accounts=[dupont_ccfi, dupont_pilat])
    other = make_user("durand@example.org", password=PASSWORD, accounts=[durand])
    return {
        "ccfi": ccfi,
        "pilat": pilat,
        "user": user,
        "other": other,
        "bins": bins,
        "year": year,
        "accounts": (dupont_ccfi, dupont_pilat),
    }
