import pytest

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


@pytest.fixture
def world(db):
    return World()


@pytest.fixture
def api_get(client):
    def get(path, token=None, **params):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return client.get(path, params, headers=headers)

    return get
