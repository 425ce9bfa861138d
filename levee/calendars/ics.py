"""iCalendar (RFC 5545) feeds of collections, written by hand: one all-day event per flux
and date, whose SUMMARY is the flux's name.

An event's UID is made of its schedule, its nominal date and the platform's domain: it is
the same on every request and regeneration, and a collection moved by a holiday or an
exception keeps its UID, so calendar applications move the event instead of adding one.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

PRODID = "-//Levée//Calendriers des collectes//FR"
LINE_OCTETS = 75


def escape_text(value: str) -> str:
    """A TEXT value (RFC 5545 § 3.3.11): backslash, semicolon, comma and newlines escaped."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def fold_line(line: str) -> str:
    """A content line folded at 75 octets (RFC 5545 § 3.1), never inside a UTF-8 character;
    each continuation starts with a space, which counts in its 75 octets."""
    parts: list[str] = []
    current, size, limit = [], 0, LINE_OCTETS
    for char in line:
        octets = len(char.encode("utf-8"))
        if size + octets > limit:
            parts.append("".join(current))
            current, size, limit = [], 0, LINE_OCTETS - 1
        current.append(char)
        size += octets
    parts.append("".join(current))
    return "\r\n ".join(parts)


def uid_domain() -> str:
    return urlsplit(settings.SITE_URL).hostname or "levee.invalid"


@dataclass(frozen=True)
class Event:
    uid: str
    date: datetime.date
    summary: str
    description: str = ""


def event_uid(schedule_id: int, nominal: datetime.date) -> str:
    return f"collecte-{schedule_id}-{nominal:%Y%m%d}@{uid_domain()}"


def _utc_stamp(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")


def calendar_ics(*, name: str, events: Iterable[Event], stamp: datetime.datetime) -> str:
    """The whole VCALENDAR text, CRLF-terminated lines. `stamp` (DTSTAMP) is the time the
    data last changed, so that the same data gives the same bytes."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(name)}",
        f"NAME:{escape_text(name)}",
        "REFRESH-INTERVAL;VALUE=DURATION:P1D",
        "X-PUBLISHED-TTL:P1D",
    ]
    dtstamp = _utc_stamp(stamp)
    for event in events:
        lines += [
            "BEGIN:VEVENT",
            f"UID:{event.uid}",
            f"DTSTAMP:{dtstamp}",
            f"DTSTART;VALUE=DATE:{event.date:%Y%m%d}",
            f"DTEND;VALUE=DATE:{event.date + datetime.timedelta(days=1):%Y%m%d}",
            f"SUMMARY:{escape_text(event.summary)}",
        ]
        if event.description:
            lines.append(f"DESCRIPTION:{escape_text(event.description)}")
        lines += ["TRANSP:TRANSPARENT", "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return "".join(fold_line(line) + "\r\n" for line in lines)
