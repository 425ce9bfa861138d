"""French public holidays (the `holidays` package), with their French names.

Alsace-Moselle (57, 67, 68) has two more (Vendredi saint, Saint-Étienne) and the overseas
departments their own: the commune's department picks the list.
"""

import datetime
from functools import lru_cache

import holidays

ALSACE_MOSELLE = {"57": "57", "67": "6AE", "68": "6AE"}
OVERSEAS = {"971", "972", "973", "974", "976"}


def subdivision_for(department: str) -> str | None:
    if department in ALSACE_MOSELLE:
        return ALSACE_MOSELLE[department]
    return department if department in OVERSEAS else None


@lru_cache(maxsize=64)
def _year(subdivision: str | None, year: int) -> dict[datetime.date, str]:
    return dict(holidays.France(years=year, subdiv=subdivision, language="fr").items())


def public_holidays(
    department: str, start: datetime.date, end: datetime.date
) -> dict[datetime.date, str]:
    """Date → name of every public holiday of the years around [start, end] (a holiday
    shift may cross a year's end), for a commune of `department`."""
    subdivision = subdivision_for(department)
    found: dict[datetime.date, str] = {}
    for year in range(start.year - 1, end.year + 2):
        found.update(_year(subdivision, year))
    return found
