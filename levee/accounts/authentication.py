"""Checking an email and a password, throttled: shared by the residents' login, the
agents' login and the operator's, so all count attempts and answer the same way."""

import math
from dataclasses import dataclass

from levee.lib import throttle

from .models import User
from .selectors import user_get_by_email


def throttled_message(limit: throttle.Limit = throttle.LOGIN, seconds: int | None = None) -> str:
    """« Trop de tentatives… réessayez dans N minutes »: the `seconds` left when the caller
    knows them (`Attempt.retry_after`, `throttle.retry_after`), else the block `limit`
    starts with."""
    minutes = math.ceil((seconds or limit.block_seconds) / 60)
    if minutes <= 1:
        return "Trop de tentatives. Par sécurité, réessayez dans 1 minute."
    return f"Trop de tentatives. Par sécurité, réessayez dans {minutes} minutes."


@dataclass(frozen=True)
class Attempt:
    user: User | None  # set when the password is right (the login may still be inactive)
    throttled: bool = False
    # When throttled, or when this failure starts a wait: the seconds before the next try.
    retry_after: int = 0


def credentials_check(request, *, email: str, password: str, accept=lambda user: True) -> Attempt:
    """The login whose email and password match, unless this email or this address must
    wait after too many failures; a failure (or `accept` refusing the login) counts, and
    makes the wait grow. A password is hashed whether the email is known or not, so the
    answer's time tells nothing about it."""
    email = email.strip()
    ip = throttle.client_ip(request)
    wait = max(
        throttle.retry_after(throttle.LOGIN, email), throttle.retry_after(throttle.LOGIN_IP, ip)
    )
    if wait:
        return Attempt(user=None, throttled=True, retry_after=wait)
    user = user_get_by_email(email)
    if user is None:
        # The work a known login's check does, as Django's ModelBackend does (for a login
        # without a usable password, check_password itself hashes once).
        User().set_password(password)
    if user is None or not user.check_password(password) or not accept(user):
        throttle.hit(throttle.LOGIN, email)
        throttle.hit(throttle.LOGIN_IP, ip)
        # The failure that starts a wait says so at once, with its length: the person
        # does not learn it only by being refused next time.
        wait = max(
            throttle.retry_after(throttle.LOGIN, email),
            throttle.retry_after(throttle.LOGIN_IP, ip),
        )
        return Attempt(user=None, retry_after=wait)
    throttle.reset(throttle.LOGIN, email)
    return Attempt(user=user)
