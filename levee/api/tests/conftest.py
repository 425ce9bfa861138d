import datetime

import pytest
from django.utils import timezone

from levee.billing.tests.factories import make_invoice
from levee.collection.models import DropOff, DropOffKind, Flux, Lift
from levee.collection.tests.conftest import make_bin
from levee.requests.models import ServiceRequest
from levee.tokens.services import token_create
from testkit import ccfi_world, make_account, make_user, pilat_world


class World:
    """Pierre Dupont's login reaching his CCFI account and his Pilat one (two authorities),
    with a token; Paul Martin, another resident of CCFI, with his own token."""

    def __init__(self):
        self.ccfi, self.account = ccfi_world()
        self.pilat, pelussin = pilat_world()
        self.pilat_account = make_account(
            self.pilat,
            code="10042",
            portal_key="VZKRTQPM",
            commune=pelussin,
            postal_code="42410",
            street="rue du Pilat",
            number="12",
        )
        self.owner = make_user("dupont59@gmail.com", accounts=[self.account, self.pilat_account])
        self.other_account = make_account(
            self.ccfi, code="00002", portal_key="AUTRECLE", last_name="MARTIN", first_name="Paul"
        )
        self.other = make_user("martin@example.org", accounts=[self.other_account])
        self.token = token_create(user=self.owner, name="Domotique").secret
        self.other_token = token_create(user=self.other, name="Script").secret
        self.bin = make_bin(self.account, chip="E0040001", tank="C0001")
        self.recycling_bin = make_bin(self.account, chip="E0040002", flux=Flux.RECYCLABLES)
        # 30 lifts, one every 10 days from 1 January 2025, 12.5 kg each; the recycling bin's
        # every fifth one.
        self.lifts = [
            Lift.objects.create(
                authority=self.ccfi,
                bin=self.recycling_bin if n % 5 == 4 else self.bin,
                lifted_at=at(datetime.date(2025, 1, 1) + datetime.timedelta(days=10 * n)),
                net_weight_grams=12_500,
            )
            for n in range(30)
        ]
        self.other_bin = make_bin(self.other_account, chip="E0049999")
        Lift.objects.create(
            authority=self.ccfi,
            bin=self.other_bin,
            lifted_at=at(datetime.date(2025, 3, 3)),
            net_weight_grams=9_000,
        )
        self.dropoff = DropOff.objects.create(
            authority=self.ccfi,
            account=self.account,
            kind=DropOffKind.DECHETERIE,
            occurred_at=at(datetime.date(2025, 4, 5)),
            site="Déchèterie de Bailleul",
            weight_grams=35_000,
        )
        self.invoice = make_invoice(
            self.account,
            number="2300240069928",
            issued_on=datetime.date(2023, 7, 2),
            total_cents=8794,
        )
        self.other_invoice = make_invoice(
            self.other_account,
            number="2300240069929",
            issued_on=datetime.date(2023, 7, 2),
            total_cents=5000,
        )
        self.service_request = ServiceRequest.objects.create(
            authority=self.ccfi, account=self.account, requested_by=self.owner, kind="contact"
        )


def at(day: datetime.date, hour: int = 7) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


@pytest.fixture
def world(db):
    return World()


@pytest.fixture
def api_get(client):
    def get(path, token=None, **params):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return client.get(path, params, headers=headers)

    return get
