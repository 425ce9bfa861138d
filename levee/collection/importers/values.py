"""Parsers of the values the import files share (dates, flux, decimals): each returns the
value, or the French reason the line is rejected (a str)."""

import datetime
import functools
import re
import zoneinfo
from decimal import Decimal

from levee.lib.text import fold_compact

from ..models import Flux
from .reading import shown

PARIS = zoneinfo.ZoneInfo("Europe/Paris")

# What the authorities' software writes in a flux column, folded (case, accents, spaces).
FLUX_ALIASES = {
    "om": Flux.ORDURES_MENAGERES,
    "omr": Flux.ORDURES_MENAGERES,
    "ordures": Flux.ORDURES_MENAGERES,
    "orduresmenageresresiduelles": Flux.ORDURES_MENAGERES,
    "emballages": Flux.RECYCLABLES,
    "cs": Flux.RECYCLABLES,
    "collecteselective": Flux.RECYCLABLES,
    "bio": Flux.BIODECHETS,
    "papiers": Flux.PAPIER,
}
FLUX_KEYS = {
    **{fold_compact(f.value): f.value for f in Flux},
    **{fold_compact(f.label): f.value for f in Flux},
    **{k: v.value for k, v in FLUX_ALIASES.items()},
}

# What flux_parse returns for a good value: a flux, or nothing.
FLUX_CODES = frozenset(["", *Flux.values])

TIMESTAMP_RE = re.compile(
    r"(?:(\d{4})-(\d\d)-(\d\d)|(\d\d)/(\d\d)/(\d{4}))[ T](\d\d):(\d\d)(?::(\d\d))?",
    re.ASCII,
)
DATE_RE = re.compile(r"(\d{4})-(\d\d)-(\d\d)|(\d\d)/(\d\d)/(\d{4})", re.ASCII)
DECIMAL_RE = re.compile(r"(\d+)(?:[.,](\d+))?", re.ASCII)


@functools.lru_cache(maxsize=256)
def flux_code(text: str) -> str | None:
    return FLUX_KEYS.get(fold_compact(text))


def flux_parse(text: str) -> str:
    """A flux code, "" when empty (both in FLUX_CODES), or the reason."""
    if not text:
        return ""
    code = flux_code(text)
    if code is None:
        return f"flux inconnu : « {shown(text)} »"
    return code


FIRST_YEAR, LAST_YEAR = 1900, 2999


def timestamp_parse(text: str) -> datetime.datetime | str:
    """`AAAA-MM-JJ HH:MM[:SS]` or `JJ/MM/AAAA HH:MM[:SS]`, Paris time."""
    match = TIMESTAMP_RE.fullmatch(text)
    if match is None:
        return (
            f"horodatage invalide : « {shown(text)} » "
            "(attendu AAAA-MM-JJ HH:MM ou JJ/MM/AAAA HH:MM)"
        )
    iso_year, iso_month, iso_day, day, month, year, hour, minute, second = match.groups()
    if not FIRST_YEAR <= int(iso_year or year) <= LAST_YEAR:
        # Year 1 in Paris time is before the first instant a datetime holds in UTC.
        return f"date impossible : « {text} »"
    try:
        return datetime.datetime(
            int(iso_year or year),
            int(iso_month or month),
            int(iso_day or day),
            int(hour),
            int(minute),
            int(second or 0),
            tzinfo=PARIS,
        )
    except ValueError:
        return f"date impossible : « {text} »"


@functools.lru_cache(maxsize=16_384)
def _minute_start(prefix: str) -> int | None:
    """The first second of a minute written « AAAA-MM-JJ HH:MM » or « JJ/MM/AAAA HH:MM »
    (Paris time), in seconds since the epoch; None when it is not a valid one."""
    moment = timestamp_parse(prefix)
    return None if isinstance(moment, str) else int(moment.timestamp())


def timestamp_seconds(text: str) -> int | str:
    """What timestamp_parse reads, in whole seconds since the epoch, or the same reason.

    The fast way for the million lines of a lift file: the pattern is checked and the
    datetime built once per minute (lifts come seconds apart), then the seconds are added.
    The pattern fixes the positions: 16 characters up to the minutes, then maybe « :SS »."""
    if len(text) == 19:
        seconds = text[17:]
        if text[16] != ":" or not (seconds.isascii() and seconds.isdigit()):
            return timestamp_parse(text)
        seconds = int(seconds)
    elif len(text) == 16:
        seconds = 0
    else:
        return timestamp_parse(text)
    start = _minute_start(text[:16])
    if start is None or seconds > 59:
        return timestamp_parse(text)  # the reason
    return start + seconds


def date_parse(text: str, label: str) -> datetime.date | str:
    """`JJ/MM/AAAA` or `AAAA-MM-JJ`; `label` names the column in the reason."""
    match = DATE_RE.fullmatch(text)
    if match is None:
        return f"{label} invalide : « {shown(text)} » (attendu JJ/MM/AAAA ou AAAA-MM-JJ)"
    iso_year, iso_month, iso_day, day, month, year = match.groups()
    try:
        return datetime.date(int(iso_year or year), int(iso_month or month), int(iso_day or day))
    except ValueError:
        return f"{label} impossible : « {text} »"


def thousandths_parse(text: str, label: str, *, negative: str = "négatif") -> int | str:
    """A non-negative decimal with a comma or a point and 3 decimals at most, in thousandths
    (grams of a weight in kg, millilitres of a volume in litres)."""
    # The usual case first, without the pattern (a million weights in a lift file).
    whole, point, decimals = text.replace(",", ".", 1).partition(".")
    if (
        whole.isascii()
        and whole.isdigit()
        and len(whole) <= 9
        and (not point or (decimals.isascii() and decimals.isdigit() and len(decimals) <= 3))
    ):
        return int(whole) * 1000 + (int(decimals.ljust(3, "0")) if point else 0)
    if text.startswith("-") and DECIMAL_RE.fullmatch(text[1:].strip()):
        return f"{label} {negative} : « {shown(text)} »"
    match = DECIMAL_RE.fullmatch(text)
    if match is None:
        return f"{label} non numérique : « {shown(text)} »"
    whole, decimals = match.groups()
    if decimals and len(decimals) > 3:
        return f"{label} invalide : « {shown(text)} » (3 décimales au plus)"
    # A number, however long: each caller refuses it above its own maximum (« trop
    # lourd »). Beyond 12 digits (a billion tonnes) its exact value no longer matters.
    if len(whole.lstrip("0")) > 12:
        whole = "9" * 13
    return int(whole) * 1000 + int((decimals or "").ljust(3, "0"))


def thousandths_decimal(value: int) -> Decimal:
    return Decimal(value) / 1000
