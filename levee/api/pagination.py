"""Cursor pagination on (date, id), newest first: a page is one indexed query however deep
it is (no OFFSET to count through ten years of lifts), and a row written meanwhile never
shifts the next page. The cursor is opaque to clients: the last row's date and id, in
URL-safe base64."""

import base64
import binascii
import datetime
import json
import re
from collections.abc import Callable
from typing import Annotated
from urllib.parse import urlencode

from django.db.models import Q
from django.utils import timezone
from ninja import Schema
from pydantic import BeforeValidator

from .errors import ApiError, invalid_parameter

DEFAULT_LIMIT = 100
MAX_LIMIT = 500

CURSOR_DESCRIPTION = (
    "FR — Le curseur `next_cursor` de la page précédente (opaque). EN — The previous page's "
    "`next_cursor` (opaque)."
)
LIMIT_DESCRIPTION = (
    f"FR — Éléments par page (1 à {MAX_LIMIT}, {DEFAULT_LIMIT} par défaut). EN — Items per "
    f"page (1 to {MAX_LIMIT}, default {DEFAULT_LIMIT})."
)
SINCE_DESCRIPTION = (
    "FR — Premier jour inclus (AAAA-MM-JJ, heure de Paris). EN — First day, inclusive "
    "(YYYY-MM-DD, Paris time)."
)
UNTIL_DESCRIPTION = (
    "FR — Dernier jour inclus (AAAA-MM-JJ, heure de Paris). EN — Last day, inclusive "
    "(YYYY-MM-DD, Paris time)."
)


def _iso_day(value):
    """A day written AAAA-MM-JJ, nothing else (pydantic alone would read « 0 » as 1 January
    1970, a timestamp)."""
    if isinstance(value, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("Indiquez une date au format AAAA-MM-JJ (par exemple 2026-01-31).")
    return value


# A day filter's type (`depuis`, `jusqu_au`): documented as an OpenAPI date, read strictly.
Day = Annotated[datetime.date, BeforeValidator(_iso_day)]


class PageMeta(Schema):
    next_cursor: str | None
    next: str | None


def _invalid_cursor() -> ApiError:
    return invalid_parameter("curseur", "reprenez la valeur `next_cursor` d'une page.")


def cursor_encode(moment, pk: int) -> str:
    raw = json.dumps([moment.isoformat(), pk], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def cursor_decode(cursor: str, parse: Callable[[str], object]):
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        moment, pk = json.loads(raw)
        if not isinstance(pk, int) or isinstance(pk, bool) or not isinstance(moment, str):
            raise ValueError
        return parse(moment), pk
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise _invalid_cursor() from None


def _parse_datetime(value: str) -> datetime.datetime:
    moment = datetime.datetime.fromisoformat(value)
    if timezone.is_naive(moment):
        raise ValueError
    return moment


def _next_url(request, cursor: str) -> str:
    query = request.GET.copy()
    query["curseur"] = cursor
    return request.build_absolute_uri(request.path + "?" + urlencode(list(query.items())))


def keyset_page(request, queryset, *, field: str, cursor: str | None, limit: int) -> dict:
    """One page of `queryset`, newest first by (`field`, pk): its rows under `items`, and
    the cursor and URL of the next page (None on the last one). One query."""
    is_date = queryset.model._meta.get_field(field).get_internal_type() == "DateField"
    if cursor:
        moment, pk = cursor_decode(
            cursor, datetime.date.fromisoformat if is_date else _parse_datetime
        )
        if is_date and isinstance(moment, datetime.datetime):
            raise _invalid_cursor()
        queryset = queryset.filter(
            Q(**{f"{field}__lt": moment}) | Q(**{field: moment, "pk__lt": pk})
        )
    rows = list(queryset.order_by(f"-{field}", "-pk")[: limit + 1])
    return list_page(request, rows, field=field, limit=limit)


def list_page(request, rows: list, *, field: str, limit: int) -> dict:
    """The page of rows already read (at most limit + 1, newest first)."""
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = cursor_encode(getattr(rows[-1], field), rows[-1].pk) if more else None
    return {
        "items": rows,
        "next_cursor": next_cursor,
        "next": _next_url(request, next_cursor) if next_cursor else None,
    }


def after_cursor(rows: list, *, field: str, cursor: str | None) -> list:
    """The rows of a list read whole (newest first) that come after `cursor`."""
    if not cursor:
        return rows
    moment, pk = cursor_decode(cursor, _parse_datetime)
    return [r for r in rows if (getattr(r, field), r.pk) < (moment, pk)]


def day_bounds(first: datetime.date | None, last: datetime.date | None):
    """The aware [start, end) of the local days first..last, each end open when None.

    A bound at the edge of the calendar (0001-01-01, 9999-12-31) leaves that end open:
    its instant has no UTC equivalent Python can hold, and no row lies beyond it anyway."""
    start = end = None
    if first is not None:
        start = timezone.make_aware(datetime.datetime.combine(first, datetime.time.min))
        try:
            start.astimezone(datetime.UTC)
        except OverflowError:
            start = None
    if last is not None and last < datetime.date.max:
        end = timezone.make_aware(
            datetime.datetime.combine(last + datetime.timedelta(days=1), datetime.time.min)
        )
    return start, end
