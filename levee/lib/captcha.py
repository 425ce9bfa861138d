"""« Je ne suis pas un robot » with ALTCHA: a proof of work solved in the visitor's
browser, verified here; no data goes to a third party."""

import base64
import json
import urllib.parse
from datetime import UTC, datetime, timedelta

from altcha.v1 import create_challenge, verify_solution
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import UsedChallenge

CHALLENGE_LIFETIME = timedelta(minutes=30)
# A used challenge is remembered a little past its expiry, for processes whose clock is late.
CLOCK_MARGIN = timedelta(minutes=10)

WIDGET_STRINGS = {
    "label": "Je ne suis pas un robot",
    "verifying": "Vérification en cours…",
    "verified": "Vérifié : vous n'êtes pas un robot",
    "error": "La vérification a échoué. Réessayez.",
    "expired": "La vérification a expiré. Recommencez.",
    "waitAlert": "Vérification en cours… merci de patienter.",
    "ariaLinkLabel": "Vérification anti-robot",
    "footer": "",
}


def challenge_json() -> str:
    challenge = create_challenge(
        hmac_key=settings.ALTCHA_HMAC_KEY,
        max_number=settings.ALTCHA_MAX_NUMBER,
        expires=timezone.now() + CHALLENGE_LIFETIME,
    )
    return json.dumps(challenge.to_dict())


def widget_strings_json() -> str:
    return json.dumps(WIDGET_STRINGS, ensure_ascii=False)


def verify(payload: str) -> bool:
    """True once per solved challenge: a replayed solution is refused, however re-encoded.

    The challenge is known by its signature (our HMAC of the challenge the visitor solved),
    which no re-encoding of the payload changes; the first process to record it in the
    database wins, the unique constraint refusing every other."""
    if not payload or len(payload) > 4000:
        return False
    try:
        ok, _error = verify_solution(payload, settings.ALTCHA_HMAC_KEY, check_expires=True)
        decoded = json.loads(base64.b64decode(payload).decode())
        signature = decoded["signature"]
        expires = float(urllib.parse.parse_qs(decoded["salt"].split("?", 1)[1])["expires"][0])
        expires_at = datetime.fromtimestamp(expires, tz=UTC) + CLOCK_MARGIN
    except Exception:  # malformed payloads raise in the library on some inputs
        return False
    if not ok or not isinstance(signature, str) or len(signature) > 128:
        return False
    try:
        with transaction.atomic():
            UsedChallenge.objects.create(signature=signature, expires_at=expires_at)
    except IntegrityError:
        return False
    return True


def captcha_used_purge() -> int:
    """Forgets the challenges solved that have expired since (their payloads are refused
    as expired anyway); returns how many. Part of `manage.py periodic`."""
    deleted, _ = UsedChallenge.objects.filter(expires_at__lt=timezone.now()).delete()
    return deleted
