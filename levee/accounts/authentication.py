"""Checking an email and a password, throttled: shared by the residents' login and the
agents' login, so both count attempts and answer the same way."""

from dataclasses import dataclass

from levee.lib import throttle

from .models import User
from .selectors import user_get_by_email


def throttled_message(limit: throttle.Limit = throttle.LOGIN) -> str:
    return f"Trop de tentatives. Par sécurité, réessayez dans {limit.window_seconds // 60} minutes."


@dataclass(frozen=True)
class Attempt:
    user: User | None  # set when the password is right (the login may still be inactive)
    throttled: bool = False


def credentials_check(request, *, email: str, password: str, accept=lambda user: True) -> Attempt:
    """The login whose email and password match, unless too many attempts were made for
    this email or from this address; a failure (or `accept` refusing the login) counts."""
    email = email.strip()
    ip = throttle.client_ip(request)
    if throttle.is_blocked(throttle.LOGIN, email) or throttle.is_blocked(throttle.LOGIN_IP, ip):
        return Attempt(user=None, throttled=True)
    user = user_get_by_email(email)
    if user is None or not user.check_password(password) or not accept(user):
        throttle.hit(throttle.LOGIN, email)
        throttle.hit(throttle.LOGIN_IP, ip)
        return Attempt(user=None)
    throttle.reset(throttle.LOGIN, email)
    return Attempt(user=user)
