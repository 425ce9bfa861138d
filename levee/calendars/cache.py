"""What the calendars compute for the space's home at every request, kept: a commune's
calendar (holiday policy, sectors, schedules with their exceptions) and a dwelling's next
collections per flux, which the rules would otherwise recompute each time.

The entries live in the memory of each process (`remembered`), read-only once made; what
makes them safe is their key: it names the authority (its id and the instant its row was
created, so that an authority deleted and made again under the same id never reads the old
one's entries) and the authority's calendar version, a random token kept in the shared
cache (Redis or the database's cache table) that every change of its calendars replaces
(`calendars_changed`, called by the calendar services, the demo and the admin). Every
process reads the version at each request (one cache read), so a change made in one is
seen by all at their next request; a version lost (cache restarted) is drawn anew, which
forgets every entry. Nothing of a resident is kept: the values are the commune's
calendar, the same for every household there."""

import secrets
from collections.abc import Callable

from django.core.cache import cache
from django.db import transaction

# A week unchanged, the version expires and a new one is drawn (its entries forgotten).
VERSION_TIMEOUT = 7 * 24 * 3600
PREFIX = "calendars:1"
# At most this many entries per process (a commune's calendar, a day's next collections of
# a sector): past it they are all forgotten, and made again as the pages ask.
LOCAL_MAX = 4096
_local: dict[str, object] = {}


def _version_key(authority_id: int) -> str:
    return f"{PREFIX}:version:{authority_id}"


def calendar_version(authority_id: int) -> str:
    """The authority's calendar version: its current token, or a new one when it has none."""
    key = _version_key(authority_id)
    version = cache.get(key)
    if version is None:
        cache.add(key, secrets.token_hex(8), VERSION_TIMEOUT)
        version = cache.get(key) or "unset"
    return version


def _version_replace(authority_id: int) -> None:
    cache.set(_version_key(authority_id), secrets.token_hex(8), VERSION_TIMEOUT)


def calendars_changed(authority_id: int) -> None:
    """Forgets every cached calendar of the authority: at once, and again once the change
    is committed (a page read between the two would have cached the data of before)."""
    _version_replace(authority_id)
    transaction.on_commit(lambda: _version_replace(authority_id))


def key_prefix(authority) -> str:
    """The start of every key of the authority's cached calendars, with its version."""
    created = authority.created_at.timestamp() if authority.created_at else 0
    return f"{PREFIX}:{authority.pk}:{created:.6f}:{calendar_version(authority.pk)}"


def remembered(key: str, compute: Callable[[], object]) -> object:
    """The value kept under `key` in this process, or `compute()` kept there. The value is
    shared by every request that reads it: never change it."""
    found = _local.get(key)
    if found is None:
        if len(_local) >= LOCAL_MAX:
            _local.clear()
        found = _local[key] = compute()
    return found
