"""The second factor: an authenticator app (TOTP, django-otp's TOTPDevice) enrolled with a
QR code and confirmed by a first code, ten recovery codes (a StaticDevice, each code good
once), the check of a code at each new session, and its reset by an administrator."""

from dataclasses import dataclass

from django.db import transaction
from django_otp import verify_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from levee.accounts.models import User
from levee.lib import throttle

from .models import SpaceSecondFactor

RECOVERY_CODES = 10
DEVICE_NAME = "Application d'authentification"
RECOVERY_NAME = "Codes de secours"
# Six digits are guessable in bulk: a few tries per login, then wait (django-otp's own
# growing delay per device applies on top).
CODE = throttle.Limit("second-factor", 5, 15 * 60)


class AlreadyEnrolled(Exception):
    pass


@dataclass(frozen=True)
class CodeAttempt:
    device: object | None  # the device that accepted the code
    throttled: bool = False


@transaction.atomic
def device_enrol_start(*, user: User) -> TOTPDevice:
    """The authenticator app waiting for its first code: the same one while the page is
    reloaded (so the QR code already scanned stays good), a new one the first time."""
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        raise AlreadyEnrolled(user.email)
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


@transaction.atomic
def device_confirm(*, user: User, code: str) -> tuple[TOTPDevice, list[str]] | None:
    """Confirms the waiting authenticator app with its first code and returns it with new
    recovery codes (shown once: only their use is stored). None when the code is wrong."""
    device = (
        TOTPDevice.objects.select_for_update()
        .filter(user=user, confirmed=False)
        .order_by("pk")
        .first()
    )
    if device is None or not device.verify_token(_digits(code)):
        throttle.hit(CODE, str(user.pk))
        return None
    if not TOTPDevice.objects.filter(pk=device.pk, confirmed=False).update(confirmed=True):
        return None  # confirmed meanwhile by another request
    device.confirmed = True
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return device, recovery_codes_new(user=user)


@transaction.atomic
def recovery_codes_new(*, user: User) -> list[str]:
    """Ten new recovery codes; the previous ones stop working."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
    return codes


def code_blocked(*, user: User) -> bool:
    return throttle.is_blocked(CODE, str(user.pk))


def code_check(*, user: User, code: str) -> CodeAttempt:
    """The device that accepts this code: the authenticator app's current code, or a
    recovery code (deleted as it is used). Failures are counted per login."""
    subject = str(user.pk)
    if throttle.is_blocked(CODE, subject):
        return CodeAttempt(device=None, throttled=True)
    device = None
    code = "".join(code.split())
    if len(code) == 6 and code.isdigit():
        totp = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if totp is not None:
            device = verify_token(user, totp.persistent_id, code)
    elif code:
        static = StaticDevice.objects.filter(user=user, confirmed=True).first()
        if static is not None:
            device = verify_token(user, static.persistent_id, code.lower())
    if device is None:
        throttle.hit(CODE, subject)
        return CodeAttempt(device=None)
    throttle.reset(CODE, subject)
    return CodeAttempt(device=device)


@transaction.atomic
def second_factor_reset(*, user: User, by: User, agent=None) -> bool:
    """« Réinitialiser le second facteur »: the login's authenticator app and recovery codes
    are deleted; he enrols again at his next page of the back office (his open sessions
    included). Audited in the agent's authority's journal when an administrator does it
    (`agent`, the login's agent in that authority). False
    when there was nothing to reset."""
    deleted = TOTPDevice.objects.filter(user=user).delete()[0]
    deleted += StaticDevice.objects.filter(user=user).delete()[0]
    SpaceSecondFactor.objects.filter(user=user).delete()
    if not deleted:
        return False
    if agent is not None:
        from levee.audit.services import audit_write

        audit_write(
            authority=agent.authority,
            actor=by,
            action="agent.second_factor_reset",
            obj=agent,
            before={"email": user.email, "second_factor": True},
            after={"second_factor": False},
        )
    return True


@transaction.atomic
def space_protection_enable(*, user: User) -> bool:
    """The resident's space asks for a code at each new session (« Mon profil »). The
    caller has checked that this session presented a code. False when it was on already."""
    _, created = SpaceSecondFactor.objects.get_or_create(user=user)
    return created


@transaction.atomic
def space_protection_disable(*, user: User, keep_devices: bool) -> bool:
    """The resident's space stops asking for a code; his devices go too unless the login
    still needs them (an agent, the operator). False when it was off already."""
    deleted = SpaceSecondFactor.objects.filter(user=user).delete()[0]
    if deleted and not keep_devices:
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
    return bool(deleted)


def _digits(code: str) -> str:
    return "".join(code.split())
