"""The hand-written iCalendar: CRLF lines folded at 75 octets, escaped text, and a small
parser that reads back what was written."""

import datetime

from levee.calendars.ics import Event, calendar_ics, escape_text, fold_line

STAMP = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)


def unfold(raw: str) -> list[str]:
    """RFC 5545 § 3.1: every line ends with CRLF; a line starting with a space continues
    the previous one."""
    assert raw.endswith("\r\n")
    physical = raw[:-2].split("\r\n")
    assert all("\n" not in line and "\r" not in line for line in physical)
    assert all(len(line.encode("utf-8")) <= 75 for line in physical)
    lines: list[str] = []
    for line in physical:
        if line.startswith(" "):
            lines[-1] += line[1:]
        else:
            lines.append(line)
    return lines


def unescape(value: str) -> str:
    out, i = [], 0
    while i < len(value):
        if value[i] == "\\":
            nxt = value[i + 1]
            out.append("\n" if nxt in "nN" else nxt)
            i += 2
        else:
            out.append(value[i])
            i += 1
    return "".join(out)


def parse(raw: str) -> dict:
    """The calendar's properties and its events, each a dict of name (with parameters) to
    value; checks that BEGIN and END pair up."""
    stack, calendar, events = [], {}, []
    for line in unfold(raw):
        name, _, value = line.partition(":")
        assert name and _, line
        if name == "BEGIN":
            stack.append(value)
            if value == "VEVENT":
                events.append({})
        elif name == "END":
            assert stack.pop() == value
        elif stack == ["VCALENDAR"]:
            calendar[name] = unescape(value)
        else:
            assert stack == ["VCALENDAR", "VEVENT"]
            events[-1][name] = unescape(value)
    assert stack == []
    return {"calendar": calendar, "events": events}


def test_text_is_escaped():
    assert escape_text("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"


def test_long_lines_fold_at_75_octets_without_cutting_a_character():
    line = "DESCRIPTION:" + "é" * 100
    folded = fold_line(line)
    parts = folded.split("\r\n")
    assert all(len(p.encode("utf-8")) <= 75 for p in parts)
    assert "".join([parts[0], *(p[1:] for p in parts[1:])]) == line
    assert fold_line("SHORT:1") == "SHORT:1"


def test_a_calendar_parses_back():
    raw = calendar_ics(
        name="Collectes — Bailleul, secteur « Nord »",
        events=[
            Event(
                uid="collecte-1-20260106@levee.example",
                date=datetime.date(2026, 1, 6),
                summary="Ordures ménagères",
                description="Collecte; au lieu du 05/01, motif : « fête, village »\nfin",
            )
        ],
        stamp=STAMP,
    )
    parsed = parse(raw)
    assert parsed["calendar"]["VERSION"] == "2.0"
    assert parsed["calendar"]["PRODID"].startswith("-//Levée//")
    assert parsed["calendar"]["X-WR-CALNAME"] == "Collectes — Bailleul, secteur « Nord »"
    (event,) = parsed["events"]
    assert event["UID"] == "collecte-1-20260106@levee.example"
    assert event["DTSTAMP"] == "20260102T030405Z"
    assert event["DTSTART;VALUE=DATE"] == "20260106"
    assert event["DTEND;VALUE=DATE"] == "20260107"
    assert event["SUMMARY"] == "Ordures ménagères"
    assert event["DESCRIPTION"] == "Collecte; au lieu du 05/01, motif : « fête, village »\nfin"
