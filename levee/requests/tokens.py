"""Signed links of the requests: the confirmation of a new email (« Modifier mes
coordonnées »), valid as long as an activation link."""

from django.conf import settings
from django.core import signing

EMAIL_SALT = "levee.requests.email-confirm"


class LinkExpired(Exception):
    pass


class LinkInvalid(Exception):
    pass


def email_confirm_token(*, service_request_pk: int, old_email: str, new_email: str) -> str:
    """The old address is signed in: once the login changed, the link no longer applies."""
    return signing.dumps(
        {"r": service_request_pk, "o": old_email, "n": new_email}, salt=EMAIL_SALT, compress=True
    )


def email_confirm_payload(token: str) -> tuple[int, str, str]:
    """(request id, old email, new email) of a link, or LinkExpired / LinkInvalid."""
    try:
        data = signing.loads(token, salt=EMAIL_SALT, max_age=settings.PASSWORD_RESET_TIMEOUT)
        return int(data["r"]), str(data["o"]), str(data["n"])
    except signing.SignatureExpired:
        raise LinkExpired
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise LinkInvalid
