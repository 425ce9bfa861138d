"""« Je ne suis pas un robot » with ALTCHA: a proof of work solved in the visitor's
browser, verified here; no data goes to a third party."""

import json
from datetime import timedelta

from altcha.v1 import create_challenge, verify_solution
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

CHALLENGE_LIFETIME = timedelta(minutes=30)

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
    """True once per solved challenge: a replayed solution is refused."""
    if not payload or len(payload) > 4000:
        return False
    try:
        ok, _error = verify_solution(payload, settings.ALTCHA_HMAC_KEY, check_expires=True)
    except Exception:  # malformed payloads raise in the library on some inputs
        return False
    if not ok:
        return False
    replay_key = f"altcha:used:{hash(payload)}"
    return cache.add(replay_key, 1, timeout=int(CHALLENGE_LIFETIME.total_seconds()) + 60)
