"""Collection rules expanded into dates: pure functions, no database.

A rule says on which days a flux is collected (« tous les mardis », « le jeudi des semaines
paires », « le premier lundi du mois ») between two dates. Expanding it gives the nominal
dates; the authority's holiday policy then moves or cancels those that fall on a public
holiday, and one-off changes (exceptions) entered by an agent win over both.

Every other week counts weeks from a reference date the agent sets (a collection of the
rule): the collections fall in the weeks an even number of weeks away from it, across any
year boundary. ISO week parity would not do: a year of 53 weeks puts two odd weeks in a row
(week 53, then week 1), and a fortnightly collection would skip a week or come twice.
"""

import calendar
import datetime
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from django.db import models

ONE_DAY = datetime.timedelta(days=1)
# A holiday shift skips Sundays and chained holidays: never more than a few days.
SHIFT_MARGIN = datetime.timedelta(days=7)
# The window in which a rule without an end date must produce at least one date.
OPEN_RULE_CHECK = datetime.timedelta(days=366)


class RuleKind(models.TextChoices):
    WEEKLY = "weekly", "Toutes les semaines"
    BIWEEKLY = "biweekly", "Une semaine sur deux"
    MONTHLY = "monthly", "Une fois par mois"


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Lundi"
    TUESDAY = 1, "Mardi"
    WEDNESDAY = 2, "Mercredi"
    THURSDAY = 3, "Jeudi"
    FRIDAY = 4, "Vendredi"
    SATURDAY = 5, "Samedi"
    SUNDAY = 6, "Dimanche"


class Ordinal(models.IntegerChoices):
    FIRST = 1, "Premier"
    SECOND = 2, "Deuxième"
    THIRD = 3, "Troisième"
    FOURTH = 4, "Quatrième"
    LAST = -1, "Dernier"


class HolidayPolicy(models.TextChoices):
    NEXT_DAY = "next_day", "Reportée au lendemain"
    PREVIOUS_DAY = "previous_day", "Avancée à la veille"
    CANCELLED = "cancelled", "Annulée"


POLICY_SENTENCES = {
    HolidayPolicy.NEXT_DAY: "Une collecte prévue un jour férié a lieu le lendemain (le premier "
    "jour suivant qui n'est ni un dimanche ni un jour férié).",
    HolidayPolicy.PREVIOUS_DAY: "Une collecte prévue un jour férié a lieu la veille (le premier "
    "jour précédent qui n'est ni un dimanche ni un jour férié).",
    HolidayPolicy.CANCELLED: "Une collecte prévue un jour férié n'a pas lieu.",
}


class ChangeKind(models.TextChoices):
    CANCELLED = "cancelled", "Collecte annulée"
    MOVED = "moved", "Collecte déplacée"


WEEKDAY_PLURAL = ["lundis", "mardis", "mercredis", "jeudis", "vendredis", "samedis", "dimanches"]
ORDINAL_WORDS = {1: "premier", 2: "deuxième", 3: "troisième", 4: "quatrième", -1: "dernier"}


@dataclass(frozen=True)
class Rule:
    kind: str
    weekday: int  # 0 = Monday, as datetime.date.weekday()
    valid_from: datetime.date
    valid_until: datetime.date | None = None  # inclusive; None = no end
    reference: datetime.date | None = None  # a collection's date, for BIWEEKLY
    ordinal: int | None = None  # 1 to 4, or -1 for the last one, for MONTHLY

    def describe(self) -> str:
        """The rule in French, as the calendars print it: « Tous les mardis »."""
        day = Weekday(self.weekday).label.lower()
        if self.kind == RuleKind.WEEKLY:
            return f"Tous les {WEEKDAY_PLURAL[self.weekday]}"
        if self.kind == RuleKind.BIWEEKLY:
            if self.reference is None:
                return f"Un {day} sur deux"
            return f"Un {day} sur deux (dont le {collection_day_of_week(self.reference, self.weekday):%d/%m/%Y})"
        return f"Le {ORDINAL_WORDS.get(self.ordinal, '?')} {day} du mois"


@dataclass(frozen=True)
class Change:
    """A one-off exception on one nominal date of a rule."""

    kind: str  # ChangeKind
    moved_to: datetime.date | None = None
    reason: str = ""


@dataclass(frozen=True)
class Occurrence:
    """One collection of a rule: its nominal date, the date it really takes place (None when
    it is cancelled) and, when they differ, why (a holiday's name, an agent's reason)."""

    nominal: datetime.date
    date: datetime.date | None
    reason: str = ""

    @property
    def cancelled(self) -> bool:
        return self.date is None

    @property
    def moved(self) -> bool:
        return self.date is not None and self.date != self.nominal

    @property
    def sort_date(self) -> datetime.date:
        return self.date or self.nominal


def week_start(day: datetime.date) -> datetime.date:
    """The Monday of the day's week."""
    return day - datetime.timedelta(days=day.weekday())


def collection_day_of_week(day: datetime.date, weekday: int) -> datetime.date:
    """The `weekday` of the week of `day` (Monday to Sunday)."""
    return week_start(day) + datetime.timedelta(days=weekday)


def in_reference_fortnight(day: datetime.date, reference: datetime.date) -> bool:
    """Whether the day's week is an even number of weeks away from the reference's."""
    return ((week_start(day) - week_start(reference)).days // 7) % 2 == 0


def reference_for_parity(weekday: int, even: bool, year: int) -> datetime.date:
    """The first `weekday` of `year`'s ISO weeks whose number has the given parity: the
    reference that keeps a rule once written as « semaines paires / impaires » on the same
    dates for that whole year."""
    day = datetime.date.fromisocalendar(year, 1, weekday + 1)
    if day.isocalendar().week % 2 != (0 if even else 1):
        day += datetime.timedelta(days=7)
    return day


def nth_weekday(year: int, month: int, weekday: int, ordinal: int) -> datetime.date:
    """The `ordinal`-th `weekday` of the month (1 to 4), or the last one (-1)."""
    if ordinal > 0:
        first = datetime.date(year, month, 1)
        return first + datetime.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (ordinal - 1))
    last = datetime.date(year, month, calendar.monthrange(year, month)[1])
    return last - datetime.timedelta(days=(last.weekday() - weekday) % 7)


def nominal_dates(rule: Rule, start: datetime.date, end: datetime.date) -> Iterator[datetime.date]:
    """The dates the rule gives between start and end (both included), before holidays and
    exceptions, in order."""
    low = max(start, rule.valid_from)
    high = end if rule.valid_until is None else min(end, rule.valid_until)
    if low > high:
        return
    if rule.kind in (RuleKind.WEEKLY, RuleKind.BIWEEKLY):
        day = low + datetime.timedelta(days=(rule.weekday - low.weekday()) % 7)
        if rule.kind == RuleKind.BIWEEKLY:
            if rule.reference is None:
                return
            if not in_reference_fortnight(day, rule.reference):
                day += datetime.timedelta(days=7)
            step = datetime.timedelta(days=14)
        else:
            step = datetime.timedelta(days=7)
        while day <= high:
            yield day
            day += step
    elif rule.kind == RuleKind.MONTHLY:
        if rule.ordinal not in (1, 2, 3, 4, -1):
            return
        year, month = low.year, low.month
        while (year, month) <= (high.year, high.month):
            day = nth_weekday(year, month, rule.weekday, rule.ordinal)
            if low <= day <= high:
                yield day
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def is_nominal(rule: Rule, day: datetime.date) -> bool:
    return next(nominal_dates(rule, day, day), None) == day


def holiday_shift(
    day: datetime.date, holidays: Mapping[datetime.date, str], policy: str
) -> datetime.date | None:
    """Where a collection due on `day` takes place: the same day when it is not a public
    holiday; otherwise the next (or previous) day that is neither a holiday nor a Sunday, or
    None when the policy cancels it."""
    if day not in holidays:
        return day
    if policy == HolidayPolicy.CANCELLED:
        return None
    step = -ONE_DAY if policy == HolidayPolicy.PREVIOUS_DAY else ONE_DAY
    moved = day + step
    while moved in holidays or moved.weekday() == 6:
        moved += step
    return moved


def occurrences(
    rule: Rule,
    start: datetime.date,
    end: datetime.date,
    *,
    holidays: Mapping[datetime.date, str],
    policy: str,
    changes: Mapping[datetime.date, Change] | None = None,
) -> list[Occurrence]:
    """Every collection of the rule that concerns the range [start, end]: those taking place
    in it, and those cancelled whose nominal date is in it. Sorted by date.

    `holidays` maps each public holiday to its name; `changes` maps nominal dates to the
    agent's exceptions, which win over the holiday policy. A collection whose nominal date
    lies outside the range can land inside it (a holiday shift, a move): it is included.
    """
    changes = changes or {}
    nominals = set(nominal_dates(rule, start - SHIFT_MARGIN, end + SHIFT_MARGIN))
    for nominal, change in changes.items():
        if (
            change.moved_to is not None
            and start <= change.moved_to <= end
            and nominal not in nominals
            and is_nominal(rule, nominal)
        ):
            nominals.add(nominal)
    found = []
    for nominal in nominals:
        change = changes.get(nominal)
        if change is not None:
            if change.kind == ChangeKind.CANCELLED or change.moved_to is None:
                occurrence = Occurrence(nominal, None, change.reason)
            else:
                occurrence = Occurrence(nominal, change.moved_to, change.reason)
        else:
            day = holiday_shift(nominal, holidays, policy)
            occurrence = Occurrence(nominal, day, holidays.get(nominal, ""))
        if start <= occurrence.sort_date <= end:
            found.append(occurrence)
    found.sort(key=lambda o: (o.sort_date, o.nominal))
    return found


def collection_dates(
    rule: Rule,
    start: datetime.date,
    end: datetime.date,
    *,
    holidays: Mapping[datetime.date, str],
    policy: str,
    changes: Mapping[datetime.date, Change] | None = None,
) -> list[datetime.date]:
    """The dates on which the rule's flux is really collected between start and end."""
    return [
        o.date
        for o in occurrences(rule, start, end, holidays=holidays, policy=policy, changes=changes)
        if o.date is not None
    ]


def check_window(rule: Rule) -> tuple[datetime.date, datetime.date]:
    """The range in which a rule must produce at least one date to be accepted: its whole
    validity, or a year from its start when it has no end."""
    return rule.valid_from, rule.valid_until or rule.valid_from + OPEN_RULE_CHECK
