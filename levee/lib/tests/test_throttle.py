import re

import pytest
from django.core.cache import cache
from django.test import RequestFactory

from levee.accounts.authentication import throttled_message
from levee.lib import throttle

from .clocks import clock_install

pytestmark = pytest.mark.django_db

LIMITS = [value for value in vars(throttle).values() if isinstance(value, throttle.Limit)]
SUBJECT = "203.0.113.7"


def announced_seconds(message: str) -> int:
    return int(re.search(r"réessayez dans (\d+) minutes?\.", message).group(1)) * 60


def block(limit: throttle.Limit, subject: str = SUBJECT) -> None:
    for _ in range(limit.max_attempts):
        throttle.hit(limit, subject)


@pytest.mark.parametrize("limit", LIMITS, ids=[limit.name for limit in LIMITS])
def test_every_limit_lasts_what_its_message_announces(monkeypatch, any_cache, limit):
    clock = clock_install(monkeypatch)
    block(limit)
    announced = announced_seconds(throttled_message(limit))
    assert announced == announced_seconds(
        throttled_message(limit, throttle.retry_after(limit, SUBJECT))
    )
    clock.advance(seconds=announced - 1)
    assert throttle.is_blocked(limit, SUBJECT)
    clock.advance(seconds=1)
    assert not throttle.is_blocked(limit, SUBJECT)


def test_an_hour_block_still_holds_after_six_minutes(monkeypatch, any_cache):
    # The database cache's incr once rewrote the entry with its five-minute default.
    clock = clock_install(monkeypatch)
    block(throttle.ASSOCIATION, "42")
    clock.advance(minutes=6)
    assert throttle.is_blocked(throttle.ASSOCIATION, "42")
    clock.advance(minutes=53, seconds=59)
    assert throttle.is_blocked(throttle.ASSOCIATION, "42")
    clock.advance(seconds=1)
    assert not throttle.is_blocked(throttle.ASSOCIATION, "42")
    assert throttle.hit(throttle.ASSOCIATION, "42") == 1


def test_attempts_below_the_limit_are_forgotten_after_the_window(monkeypatch, any_cache):
    clock = clock_install(monkeypatch)
    for _ in range(throttle.SIGNUP.max_attempts - 1):
        throttle.hit(throttle.SIGNUP, SUBJECT)
    clock.advance(minutes=59)
    assert throttle.hit(throttle.SIGNUP, SUBJECT) == throttle.SIGNUP.max_attempts
    assert throttle.is_blocked(throttle.SIGNUP, SUBJECT)


def test_it_forgets_attempts_older_than_the_window(monkeypatch, any_cache):
    clock = clock_install(monkeypatch)
    for _ in range(throttle.SIGNUP.max_attempts - 1):
        throttle.hit(throttle.SIGNUP, SUBJECT)
    clock.advance(minutes=60)
    assert throttle.hit(throttle.SIGNUP, SUBJECT) == 1
    assert not throttle.is_blocked(throttle.SIGNUP, SUBJECT)


def test_a_login_delay_doubles_up_to_fifteen_minutes(monkeypatch, any_cache):
    clock = clock_install(monkeypatch)
    for _ in range(throttle.LOGIN.max_attempts - 1):
        throttle.hit(throttle.LOGIN, "dupont59@gmail.com")
    assert not throttle.is_blocked(throttle.LOGIN, "dupont59@gmail.com")
    delays = []
    for _ in range(7):
        throttle.hit(throttle.LOGIN, "dupont59@gmail.com")
        delays.append(throttle.retry_after(throttle.LOGIN, "dupont59@gmail.com"))
        clock.advance(seconds=delays[-1])
    assert delays == [60, 120, 240, 480, 900, 900, 900]


def test_a_login_count_is_forgotten_an_hour_after_the_last_failure(monkeypatch, any_cache):
    clock = clock_install(monkeypatch)
    for _ in range(throttle.LOGIN.max_attempts + 3):
        throttle.hit(throttle.LOGIN, "dupont59@gmail.com")
    clock.advance(minutes=59)
    assert throttle.hit(throttle.LOGIN, "dupont59@gmail.com") == throttle.LOGIN.max_attempts + 4
    clock.advance(minutes=60)
    assert not throttle.is_blocked(throttle.LOGIN, "dupont59@gmail.com")
    assert throttle.hit(throttle.LOGIN, "dupont59@gmail.com") == 1


# Redis' own time to live (the database cache follows the moved clock instead).
@pytest.mark.parametrize("any_cache", ["redis"], indirect=True)
def test_redis_keeps_the_entry_at_least_as_long_as_the_block(settings, any_cache):
    block(throttle.OPENING)
    key = cache.make_and_validate_key(throttle._key(throttle.OPENING, SUBJECT))
    ttl = cache._cache.get_client(key).ttl(key)
    assert ttl >= throttle.retry_after(throttle.OPENING, SUBJECT) >= 59 * 60


def test_the_subject_is_compared_without_case_nor_spaces(any_cache):
    block(throttle.LOGIN, "Dupont59@Gmail.com ")
    assert throttle.is_blocked(throttle.LOGIN, "dupont59@gmail.com")


def test_reset_forgets_the_attempts(any_cache):
    block(throttle.LOGIN, "dupont59@gmail.com")
    throttle.reset(throttle.LOGIN, "dupont59@gmail.com")
    assert not throttle.is_blocked(throttle.LOGIN, "dupont59@gmail.com")
    assert throttle.hit(throttle.LOGIN, "dupont59@gmail.com") == 1


def test_the_message_announces_the_minutes_left_rounded_up():
    assert throttled_message(throttle.LOGIN, 30).endswith("réessayez dans 1 minute.")
    assert throttled_message(throttle.LOGIN, 61).endswith("réessayez dans 2 minutes.")
    assert throttled_message(throttle.SIGNUP).endswith("réessayez dans 60 minutes.")


def forwarded_request(forwarded: str | None, remote: str = "10.0.0.2"):
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return RequestFactory().get("/", REMOTE_ADDR=remote, **headers)


def test_it_ignores_x_forwarded_for_without_a_trusted_proxy(settings):
    settings.BEHIND_PROXY = False
    assert throttle.client_ip(forwarded_request("198.51.100.9")) == "10.0.0.2"


def test_it_takes_the_address_the_trusted_proxy_appended(settings):
    settings.BEHIND_PROXY = True
    # Whatever the client wrote itself comes first; the proxy appends what it saw.
    assert throttle.client_ip(forwarded_request("1.2.3.4, 198.51.100.9")) == "198.51.100.9"
    assert throttle.client_ip(forwarded_request("2001:db8::1")) == "2001:db8::1"


def test_it_falls_back_on_the_connection_without_a_usable_header(settings):
    settings.BEHIND_PROXY = True
    assert throttle.client_ip(forwarded_request(None)) == "10.0.0.2"
    assert throttle.client_ip(forwarded_request("1.2.3.4, pas-une-adresse")) == "10.0.0.2"
