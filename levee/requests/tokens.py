"""Signed links of the requests: the confirmation of a new email (« Modifier mes
coordonnées »), valid as long as an activation link; the confirmation and the own page of
a « J'emménage » request, made without a login."""

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


MOVE_IN_CONFIRM_SALT = "levee.requests.move-in-confirm"
MOVE_IN_FOLLOW_SALT = "levee.requests.move-in-follow"
# A newcomer follows his request by the link of its emails, for months if need be: each
# email signs a fresh one.
MOVE_IN_FOLLOW_MAX_AGE = 365 * 24 * 3600


def move_in_confirm_token(*, service_request_pk: int) -> str:
    """The link that confirms the email of a « J'emménage » request (valid as long as an
    activation link)."""
    return signing.dumps({"r": service_request_pk}, salt=MOVE_IN_CONFIRM_SALT, compress=True)


def move_in_confirm_payload(token: str) -> int:
    try:
        data = signing.loads(
            token, salt=MOVE_IN_CONFIRM_SALT, max_age=settings.PASSWORD_RESET_TIMEOUT
        )
        return int(data["r"])
    except signing.SignatureExpired:
        raise LinkExpired
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise LinkInvalid


def move_in_follow_token(*, service_request_pk: int, email: str) -> str:
    """The link of a « J'emménage » request's own page, for a person without a login: the
    address it was made with is signed in."""
    return signing.dumps(
        {"r": service_request_pk, "e": email}, salt=MOVE_IN_FOLLOW_SALT, compress=True
    )


def move_in_follow_payload(token: str) -> tuple[int, str]:
    try:
        data = signing.loads(token, salt=MOVE_IN_FOLLOW_SALT, max_age=MOVE_IN_FOLLOW_MAX_AGE)
        return int(data["r"]), str(data["e"])
    except signing.SignatureExpired:
        raise LinkExpired
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise LinkInvalid
