import datetime
import zoneinfo

import pytest
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from levee.collection.models import DropOff, DropOffKind, Flux, Lift, QuantityUnit

from .conftest import make_bin

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
WHEN = datetime.datetime(2024, 3, 5, 7, 12, tzinfo=PARIS)


def test_a_bin_needs_a_chip_or_a_tank_number(ccfi):
    _, account = ccfi
    with pytest.raises(IntegrityError), transaction.atomic():
        make_bin(account)
    assert make_bin(account, tank="C1").chip_number == ""


def test_chip_and_tank_numbers_are_unique_within_an_authority_only(ccfi, pilat_bin):
    _, account = ccfi
    make_bin(account, chip="E1", tank="C1")
    make_bin(account, chip="E2")
    make_bin(account, chip="E3")  # two bins without a tank number
    make_bin(account, chip="E0049999", tank="C9999")  # the numbers of another authority's bin
    with pytest.raises(IntegrityError), transaction.atomic():
        make_bin(account, chip="E1")
    with pytest.raises(IntegrityError), transaction.atomic():
        make_bin(account, chip="E4", tank="C1")


def test_there_is_one_lift_per_bin_and_timestamp(ccfi, bins):
    authority, _ = ccfi
    Lift.objects.create(authority=authority, bin=bins["om"], lifted_at=WHEN, net_weight_grams=1)
    Lift.objects.create(
        authority=authority, bin=bins["recyclables"], lifted_at=WHEN, net_weight_grams=1
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Lift.objects.create(authority=authority, bin=bins["om"], lifted_at=WHEN, net_weight_grams=2)


def test_a_bin_with_lifts_cannot_be_deleted(ccfi, bins):
    # Lifts have no database foreign key (the imports' cost): Django's PROTECT refuses.
    authority, _ = ccfi
    Lift.objects.create(authority=authority, bin=bins["om"], lifted_at=WHEN, net_weight_grams=1)
    with pytest.raises(ProtectedError):
        bins["om"].delete()
    assert Lift.objects.filter(bin=bins["om"]).exists()
    bins["recyclables"].delete()  # without lifts, it goes


def test_a_lift_weight_is_exact_in_kilograms(ccfi, bins):
    authority, _ = ccfi
    lift = Lift.objects.create(
        authority=authority, bin=bins["om"], lifted_at=WHEN, net_weight_grams=12500
    )
    lift.refresh_from_db()
    assert str(lift.net_weight_kg) == "12.5"


def test_there_is_one_dropoff_per_account_time_and_site(ccfi):
    authority, account = ccfi
    fields = {"authority": authority, "account": account, "occurred_at": WHEN}
    DropOff.objects.create(kind=DropOffKind.BADGE, site="Colonne", flux=Flux.VERRE, **fields)
    DropOff.objects.create(
        kind=DropOffKind.DECHETERIE,
        site="Déchèterie de Bailleul",
        quantity=500,
        quantity_unit=QuantityUnit.LITRES,
        **fields,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        DropOff.objects.create(kind=DropOffKind.BADGE, site="Colonne", **fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        DropOff.objects.create(
            kind=DropOffKind.DECHETERIE, site="Ailleurs", quantity=3, **fields
        )  # a quantity without its unit


def test_a_bin_cannot_be_removed_before_its_delivery(ccfi):
    _, account = ccfi
    with pytest.raises(IntegrityError), transaction.atomic():
        make_bin(account, chip="E1", removed_on=datetime.date(2022, 6, 29))
    assert make_bin(account, chip="E2", removed_on=datetime.date(2022, 6, 30)).pk
