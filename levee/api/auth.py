"""`Authorization: Bearer <jeton>`: a resident's personal access token (levee.tokens),
limited per token."""

from django.utils import timezone
from ninja.security import HttpBearer

from levee.lib import throttle
from levee.tokens.services import token_authenticate

from .errors import Throttled

# Calls per token and per minute (a fixed window: the minute's count starts again at the
# next minute). A household's script reads a few pages a day; a page of a hundred lifts a
# second is already plenty.
TOKEN_CALLS = throttle.Limit("api-token", 120, 60)


def limit_calls(limit: throttle.Limit, subject: str) -> None:
    """Counts one call of `subject` in the current window of `limit`; raises Throttled,
    with the seconds to the next window, when it is one too many."""
    now = int(timezone.now().timestamp())
    window = now // limit.window_seconds
    if throttle.hit(limit, f"{subject}:{window}") > limit.max_attempts:
        raise Throttled(retry_after=(window + 1) * limit.window_seconds - now)


class TokenAuth(HttpBearer):
    """A personal access token, created in « Mon profil » (read-only)."""

    def authenticate(self, request, token: str):
        found = token_authenticate(token.strip())
        if found is None:
            return None
        limit_calls(TOKEN_CALLS, f"token:{found.pk}")
        # The space's access helpers read the person from request.user: a token reaches
        # what its login reaches, and never acts for anybody at a counter (a session cookie
        # sent along is not a marker the API honours).
        request.user = found.user
        request._on_behalf = None
        return found
