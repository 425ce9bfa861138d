import datetime

import pytest

from levee.collection.models import Bin, Flux
from testkit import ccfi_world, make_account, pilat_world


def make_bin(account, *, chip="", tank="", flux=Flux.ORDURES_MENAGERES, volume=120, **fields):
    subscription = account.subscriptions.first()
    return Bin.objects.create(
        authority=account.authority,
        subscription=subscription,
        account=account,
        flux=flux,
        volume_litres=volume,
        chip_number=chip,
        tank_number=tank,
        delivered_on=fields.pop("delivered_on", datetime.date(2022, 6, 30)),
        **fields,
    )


@pytest.fixture
def ccfi(db):
    authority, account = ccfi_world()
    return authority, account


@pytest.fixture
def bins(ccfi):
    """Account 00001's bins: household waste (chip E0040001, tank C0001) and recyclables."""
    authority, account = ccfi
    return {
        "om": make_bin(account, chip="E0040001", tank="C0001"),
        "recyclables": make_bin(account, chip="E0040002", flux=Flux.RECYCLABLES, volume=240),
    }


@pytest.fixture
def pilat_bin(db):
    """A bin of another authority, chip E0049999 / tank C9999."""
    authority, pelussin = pilat_world()
    account = make_account(
        authority, code="10042", portal_key="VZKRTQPM", commune=pelussin, postal_code="42410"
    )
    return make_bin(account, chip="E0049999", tank="C9999")
