import time
from html import unescape
from types import SimpleNamespace

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from levee.agents.models import Agent
from levee.agents.roles import AgentRole
from testkit import ccfi_world, make_user, pilat_world


def text(response) -> str:
    return unescape(response.content.decode())


def next_code(device: TOTPDevice) -> str:
    """The code the authenticator app shows for the next step the device will accept (a
    code is good once: the same time step is refused after it was used)."""
    device.refresh_from_db()
    now = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    now.time = time.time()
    wanted = max(now.t(), device.last_t + 1)
    at = TOTP(device.bin_key, device.step, device.t0, device.digits)
    at.time = device.t0 + wanted * device.step
    return f"{at.token():0{device.digits}d}"


def enrolled(user) -> TOTPDevice:
    """An authenticator app confirmed for `user`, as if he had enrolled."""
    return TOTPDevice.objects.create(user=user, name="Application", confirmed=True)


@pytest.fixture
def required(settings):
    settings.TWO_FACTOR_REQUIRED = True
    return settings


@pytest.fixture
def world(db):
    """CCFI with its administrator and an « Accueil » agent; Pilat with its administrator;
    the platform operator."""
    ccfi, account = ccfi_world()
    pilat, _ = pilat_world()
    admin = Agent.objects.create(
        authority=ccfi, user=make_user("admin@flandre.example.org"), role=AgentRole.ADMINISTRATEUR
    )
    desk = Agent.objects.create(
        authority=ccfi, user=make_user("accueil@flandre.example.org"), role=AgentRole.ACCUEIL
    )
    outsider = Agent.objects.create(
        authority=pilat, user=make_user("admin@pilat.example.org"), role=AgentRole.ADMINISTRATEUR
    )
    operator = make_user("operateur@example.org")
    operator.is_staff = operator.is_superuser = True
    operator.save(update_fields=["is_staff", "is_superuser"])
    return SimpleNamespace(
        ccfi=ccfi,
        account=account,
        pilat=pilat,
        admin=admin,
        desk=desk,
        outsider=outsider,
        operator=operator,
    )
