"""Signed one-time links: activation of a space (a pending sign-up) and confirmation of an
opening request."""

from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core import signing
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode


class ActivationTokenGenerator(PasswordResetTokenGenerator):
    """The link of a pending sign-up: valid PASSWORD_RESET_TIMEOUT, until it is used (used_at
    enters the hash), then never again."""

    key_salt = "levee.accounts.SignupActivationTokenGenerator"

    def _make_hash_value(self, pending, timestamp):
        return f"{pending.pk}{pending.password}{pending.used_at}{timestamp}{pending.email}"


activation_token = ActivationTokenGenerator()


def encode_uid(pk: int) -> str:
    return urlsafe_base64_encode(force_bytes(pk))


def decode_uid(uidb64: str) -> int | None:
    try:
        return int(force_str(urlsafe_base64_decode(uidb64)))
    except (TypeError, ValueError, OverflowError):
        return None


OPENING_SALT = "levee.accounts.opening-confirm"


def opening_confirm_token(request_pk: int) -> str:
    return signing.dumps({"r": request_pk}, salt=OPENING_SALT, compress=True)


def opening_request_pk_from_token(token: str, *, max_age: int) -> int | None:
    """The request's id, or None for a forged or expired link (signing.BadSignature)."""
    try:
        return int(signing.loads(token, salt=OPENING_SALT, max_age=max_age)["r"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
