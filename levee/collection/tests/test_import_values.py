"""The fast ways of reading a lift file's values give what the plain ones give."""

import datetime
import zoneinfo

import pytest

from levee.collection.importers.values import (
    thousandths_parse,
    timestamp_parse,
    timestamp_seconds,
)

PARIS = zoneinfo.ZoneInfo("Europe/Paris")


def plain_seconds(text: str) -> int | str:
    moment = timestamp_parse(text)
    return moment if isinstance(moment, str) else int(moment.timestamp())


def clock_change_days():
    day = datetime.date(1976, 1, 1)
    while day.year < 2038:
        if PARIS.utcoffset(datetime.datetime(day.year, day.month, day.day)) != PARIS.utcoffset(
            datetime.datetime(day.year, day.month, day.day, 23, 59)
        ):
            yield day
        day += datetime.timedelta(days=1)


def test_timestamp_seconds_agrees_around_every_clock_change():
    # The hour skipped in spring and the hour lived twice in autumn included.
    days = list(clock_change_days())
    assert len(days) > 100
    for day in days:
        for hour in range(5):
            for minute in (0, 1, 30, 59):
                for suffix in ("", ":00", ":59"):
                    for text in (
                        f"{day:%Y-%m-%d} {hour:02d}:{minute:02d}{suffix}",
                        f"{day:%d/%m/%Y} {hour:02d}:{minute:02d}{suffix}",
                    ):
                        assert timestamp_seconds(text) == plain_seconds(text), text


@pytest.mark.parametrize(
    "text",
    [
        "2024-03-05 07:12",
        "2024-03-05T07:12:09",
        "05/03/2024 07:12:00",
        "29/02/2024 23:59:59",
        "30/02/2024 07:12",  # impossible date
        "2023-02-29 07:12:00",
        "2024-03-05 24:00",  # impossible hour, minute, second
        "2024-03-05 07:60",
        "2024-03-05 07:12:60",
        "2024-03-05 07:12:5",  # not the pattern
        "2024-03-05 07:12:",
        "2024-03-05 07:12;05",
        "2024-03-05 07:12:０５",  # digits, but not ASCII ones
        "2024-03-05 7:12:05",
        "le 5 mars 2024 à 7 h",
        "",
    ],
)
def test_timestamp_seconds_gives_the_value_or_the_same_reason(text):
    assert timestamp_seconds(text) == plain_seconds(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12,5", 12500),
        ("4,125", 4125),
        ("12.5", 12500),
        ("0012", 12000),
        ("0", 0),
        ("123456789", 123456789000),
        ("1,", "poids non numérique : « 1, »"),
        (",5", "poids non numérique : « ,5 »"),
        ("1,2345", "poids invalide : « 1,2345 » (3 décimales au plus)"),
        ("1,5,3", "poids non numérique : « 1,5,3 »"),
        ("1.5,3", "poids non numérique : « 1.5,3 »"),
        # Numbers however long: the callers refuse them above their maximum (« trop lourd »).
        ("1234567890", 1234567890000),
        ("1" + "0" * 308, 9_999_999_999_999_000),
        ("-3", "poids négatif : « -3 »"),
        ("+3", "poids non numérique : « +3 »"),
        ("1 000", "poids non numérique : « 1 000 »"),
        ("١٢", "poids non numérique : « ١٢ »"),  # digits, but not ASCII ones
        ("12,５", "poids non numérique : « 12,５ »"),
        ("douze", "poids non numérique : « douze »"),
    ],
)
def test_thousandths_are_read_the_same_with_or_without_the_pattern(text, expected):
    assert thousandths_parse(text, "poids") == expected
