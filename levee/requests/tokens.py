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
MOVE_IN_FOLLOW_SALT = "levee.requests.move-in-follow.v2"
# The links of the first version carried the address, readable, for a year.
MOVE_IN_FOLLOW_LEGACY_SALT = "levee.requests.move-in-follow"
# A newcomer follows his request by the link of its latest email: each email signs a fresh
# one, valid six weeks.
MOVE_IN_FOLLOW_MAX_AGE = 6 * 7 * 24 * 3600


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


def _follow_signer(email: str) -> signing.TimestampSigner:
    # The address is in the key only: the link shows none, and fails once it changes.
    return signing.TimestampSigner(salt=f"{MOVE_IN_FOLLOW_SALT}:{email.strip().lower()}")


def move_in_follow_token(*, service_request_pk: int, email: str) -> str:
    """The link of a « J'emménage » request's own page, for a person without a login: the
    request's id, a time and a signature over both and the address it was made with."""
    return _follow_signer(email).sign(str(service_request_pk))


def move_in_follow_pk(token: str) -> int:
    """The request id a link names, not checked yet (move_in_follow_check does, with the
    request's address); LinkExpired for a link of the first version, LinkInvalid for
    anything else."""
    head = token.split(":", 1)[0]
    if head.isdigit() and len(head) < 19:
        return int(head)
    try:
        signing.loads(token, salt=MOVE_IN_FOLLOW_LEGACY_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        raise LinkInvalid
    raise LinkExpired


def move_in_follow_check(token: str, *, service_request_pk: int, email: str) -> None:
    """Raises LinkExpired or LinkInvalid unless `token` was signed for this request and
    address less than MOVE_IN_FOLLOW_MAX_AGE ago."""
    try:
        value = _follow_signer(email).unsign(token, max_age=MOVE_IN_FOLLOW_MAX_AGE)
    except signing.SignatureExpired:
        raise LinkExpired
    except signing.BadSignature:
        raise LinkInvalid
    if value != str(service_request_pk):
        raise LinkInvalid
