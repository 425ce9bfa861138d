"""Throttling of anything guessable (logins, keys, sign-ups), shared by every process
through Django's cache (database cache by default, Redis when REDIS_URL is set)."""

from dataclasses import dataclass

from django.core.cache import cache


@dataclass(frozen=True)
class Limit:
    name: str
    max_attempts: int
    window_seconds: int


LOGIN = Limit("login", 10, 15 * 60)
LOGIN_IP = Limit("login-ip", 50, 15 * 60)
SIGNUP = Limit("signup", 10, 60 * 60)
RESET = Limit("reset", 5, 60 * 60)
OPENING = Limit("opening", 10, 60 * 60)


def _key(limit: Limit, subject: str) -> str:
    return f"throttle:{limit.name}:{subject.strip().lower()}"


def is_blocked(limit: Limit, subject: str) -> bool:
    return (cache.get(_key(limit, subject)) or 0) >= limit.max_attempts


def hit(limit: Limit, subject: str) -> int:
    """Counts one attempt; returns the number of attempts in the current window."""
    key = _key(limit, subject)
    if cache.add(key, 1, timeout=limit.window_seconds):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=limit.window_seconds)
        return 1


def reset(limit: Limit, subject: str) -> None:
    cache.delete(_key(limit, subject))


def client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


ASSOCIATION = Limit("association", 10, 60 * 60)
MOVE_IN = Limit("move-in", 10, 60 * 60)
