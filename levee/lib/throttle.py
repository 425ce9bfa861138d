"""Throttling of anything guessable (logins, keys, sign-ups), shared by every process
through Django's cache (database cache by default, Redis when REDIS_URL is set).

Each subject's state is one cache entry holding its count and the moments its block and
its memory end, read against our own clock: how long a block lasts never depends on the
backend's expiry rules (the database cache's `incr` rewrites an entry with the default
five-minute timeout, which once made every « une heure » last five minutes). The entry is
written back with a timeout that outlives both moments, so the backend only collects it.

The read and the write are two steps: attempts made at the very same moment may be counted
once; the growing delay of the logins makes such a burst pay for itself at its next step.
"""

import hashlib
import ipaddress
import math
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

# A block never doubles more than this many times (2**20 times its first length).
_MAX_DOUBLINGS = 20


@dataclass(frozen=True)
class Limit:
    """`max_attempts` attempts block the subject for `block_seconds` (the window's length
    unless said otherwise) from the attempt that reached it; when `max_block_seconds` is
    longer, each further attempt doubles the block, up to it. The attempts are forgotten
    `window_seconds` after the last one, or when the block ends if that is later."""

    name: str
    max_attempts: int
    window_seconds: int
    block_seconds: int = 0
    max_block_seconds: int = 0

    def __post_init__(self):
        if not self.block_seconds:
            object.__setattr__(self, "block_seconds", self.window_seconds)
        if self.max_block_seconds < self.block_seconds:
            object.__setattr__(self, "max_block_seconds", self.block_seconds)

    def block_for(self, attempts: int) -> int:
        """How long the `attempts`-th attempt blocks the subject (0: not at all)."""
        if attempts < self.max_attempts:
            return 0
        doublings = min(attempts - self.max_attempts, _MAX_DOUBLINGS)
        return min(self.block_seconds * 2**doublings, self.max_block_seconds)


# A login is slowed rather than locked: the 5th failure for one email (or the 50th from one
# address) and each further one make the next attempt wait 1, 2, 4, 8, then 15 minutes;
# after an hour without failure the count starts again.
LOGIN = Limit("login", 5, 60 * 60, block_seconds=60, max_block_seconds=15 * 60)
LOGIN_IP = Limit("login-ip", 50, 60 * 60, block_seconds=60, max_block_seconds=15 * 60)
SIGNUP = Limit("signup", 10, 60 * 60)
RESET = Limit("reset", 5, 60 * 60)
OPENING = Limit("opening", 10, 60 * 60)
ASSOCIATION = Limit("association", 10, 60 * 60)
MOVE_IN = Limit("move-in", 10, 60 * 60)


def _now() -> float:
    return timezone.now().timestamp()


def _key(limit: Limit, subject: str) -> str:
    # Hashed: any subject makes a valid key, and no email is written to the cache.
    digest = hashlib.sha256(subject.strip().lower().encode()).hexdigest()
    return f"throttle:{limit.name}:{digest}"


def _state(limit: Limit, subject: str, now: float) -> dict | None:
    state = cache.get(_key(limit, subject))
    if not isinstance(state, dict) or now >= state.get("forget_at", 0):
        return None
    return state


def retry_after(limit: Limit, subject: str) -> int:
    """Seconds left before `subject` may try again (0: it may now)."""
    now = _now()
    state = _state(limit, subject, now)
    if state is None or state["blocked_until"] <= now:
        return 0
    return math.ceil(state["blocked_until"] - now)


def is_blocked(limit: Limit, subject: str) -> bool:
    return retry_after(limit, subject) > 0


def hit(limit: Limit, subject: str) -> int:
    """Counts one attempt; returns the number of attempts remembered, this one included."""
    now = _now()
    state = _state(limit, subject, now)
    attempts = (state["attempts"] if state else 0) + 1
    blocked_until = state["blocked_until"] if state else 0
    block = limit.block_for(attempts)
    if block:
        blocked_until = now + block
    forget_at = max(now + limit.window_seconds, blocked_until)
    cache.set(
        _key(limit, subject),
        {"attempts": attempts, "blocked_until": blocked_until, "forget_at": forget_at},
        timeout=math.ceil(forget_at - now) + 60,
    )
    return attempts


def reset(limit: Limit, subject: str) -> None:
    cache.delete(_key(limit, subject))


def client_ip(request) -> str:
    """The client's address. Behind a trusted proxy (BEHIND_PROXY), the one that proxy
    appended to X-Forwarded-For: everything left of it was written by the client and
    proves nothing. Otherwise the connection's, whatever the headers say."""
    if getattr(settings, "BEHIND_PROXY", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")[-1].strip()
        try:
            return str(ipaddress.ip_address(forwarded))
        except ValueError:
            pass
    return request.META.get("REMOTE_ADDR", "") or "unknown"
