"""A clock the test moves: Django's `timezone.now` (what the throttle and the captcha read)
and the clock the cache backends write and read their expiry with, so that an entry
written with too short a timeout is seen expired, as it would be later in real life.
Redis keeps its own time: tests there check the entry's time to live instead."""

from datetime import timedelta
from types import SimpleNamespace

from django.core.cache.backends import base as cache_base
from django.core.cache.backends import db as cache_db
from django.utils import timezone


class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now

    def advance(self, **kwargs) -> None:
        self.now += timedelta(**kwargs)


def clock_install(monkeypatch) -> Clock:
    clock = Clock(timezone.now())
    monkeypatch.setattr(timezone, "now", clock)
    monkeypatch.setattr(cache_db, "tz_now", clock)
    monkeypatch.setattr(cache_base, "time", SimpleNamespace(time=lambda: clock.now.timestamp()))
    return clock
