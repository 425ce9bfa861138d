"""Demo collection calendars for every commune of the two demo authorities (PRODUCT.md
« Demo data »): called by levee.demo.services, and by `manage.py calendars_demo_load`.

Deterministic (each commune's days follow from its rank by INSEE code) and idempotent: a
commune, sector and flux that has a schedule already is left alone, so what an agent
changed in the demo stays.

- Bailleul (seed 004's commune): ordures ménagères every Tuesday, recyclables every other
  Thursday (those of 2026's even weeks, then every other week on).
- Hazebrouck (the demo resident's commune): two sectors, Nord (with rue de la Gare, where
  MARTIN Marie lives) and Sud; biodéchets for the whole town.
- Pilat Rhodanien: verre once a month, on the first Monday in Pélussin; holidays move the
  collection to the day before.
- A few exceptions each year from 2025 to 2028 (a braderie, the end-of-year holidays, a
  village fête).
"""

import datetime
from dataclasses import dataclass

from django.db import transaction

from levee.authorities.models import Authority, Commune
from levee.collection.models import Flux
from levee.demo.streets import STREETS

from .cache import calendars_changed
from .models import CalendarSettings, CollectionSchedule, ScheduleException, Sector
from .rules import ChangeKind, HolidayPolicy, RuleKind, Weekday, nominal_dates, reference_for_parity

CCFI_SLUG = "flandre-interieure"
PILAT_SLUG = "pilat-rhodanien"
BAILLEUL = "59043"
HAZEBROUCK = "59295"
PELUSSIN = "42168"
VALID_FROM = datetime.date(2024, 1, 1)
EXCEPTION_YEARS = range(2025, 2029)
POLICIES = {CCFI_SLUG: HolidayPolicy.NEXT_DAY, PILAT_SLUG: HolidayPolicy.PREVIOUS_DAY}

# Hazebrouck's two sectors share the streets of the demo accounts.
HAZEBROUCK_SECTORS = {"Nord": STREETS[:10], "Sud": STREETS[10:]}
WORKDAYS = [Weekday.MONDAY, Weekday.TUESDAY, Weekday.WEDNESDAY, Weekday.THURSDAY, Weekday.FRIDAY]
ORDINALS = [1, 2, 3, 4, -1]
# Every other week counts from a collection of this year's even (or odd) ISO weeks.
REFERENCE_YEAR = 2026
EVEN, ODD = True, False


@dataclass(frozen=True)
class DemoRule:
    flux: str
    kind: str
    weekday: int
    reference: datetime.date | None = None
    ordinal: int | None = None


def weekly(flux, weekday):
    return DemoRule(flux, RuleKind.WEEKLY, weekday)


def biweekly(flux, weekday, even: bool):
    reference = reference_for_parity(weekday, even, REFERENCE_YEAR)
    return DemoRule(flux, RuleKind.BIWEEKLY, weekday, reference=reference)


def monthly(flux, weekday, ordinal):
    return DemoRule(flux, RuleKind.MONTHLY, weekday, ordinal=ordinal)


def _rules_for(slug: str, insee: str, rank: int) -> dict[str | None, list[DemoRule]]:
    """Sector name (None: the whole commune) → the rules of a commune."""
    om, rec, bio, verre = Flux.ORDURES_MENAGERES, Flux.RECYCLABLES, Flux.BIODECHETS, Flux.VERRE
    parity = EVEN if rank % 2 == 0 else ODD
    if insee == BAILLEUL:
        return {
            None: [
                weekly(om, Weekday.TUESDAY),
                biweekly(rec, Weekday.THURSDAY, EVEN),
            ]
        }
    if insee == HAZEBROUCK:
        return {
            None: [weekly(bio, Weekday.WEDNESDAY)],
            "Nord": [
                weekly(om, Weekday.MONDAY),
                weekly(om, Weekday.THURSDAY),
                biweekly(rec, Weekday.FRIDAY, ODD),
            ],
            "Sud": [
                weekly(om, Weekday.TUESDAY),
                biweekly(rec, Weekday.FRIDAY, EVEN),
            ],
        }
    rules = [
        weekly(om, WORKDAYS[rank % 5]),
        biweekly(rec, WORKDAYS[(rank + 2) % 5], parity),
    ]
    if slug == PILAT_SLUG:
        if insee == PELUSSIN:
            rules.append(monthly(verre, Weekday.MONDAY, 1))
        else:
            rules.append(monthly(verre, WORKDAYS[(rank + 1) % 5], ORDINALS[rank % 5]))
    return {None: rules}


# (INSEE, sector, flux, weekday, month, day, change, days moved, reason): each year, the
# first collection of the rule on or after that month and day.
DEMO_EXCEPTIONS = [
    (
        BAILLEUL,
        None,
        Flux.ORDURES_MENAGERES,
        Weekday.TUESDAY,
        9,
        1,
        ChangeKind.CANCELLED,
        0,
        "Braderie",
    ),
    (
        BAILLEUL,
        None,
        Flux.RECYCLABLES,
        Weekday.THURSDAY,
        12,
        21,
        ChangeKind.MOVED,
        2,
        "Fêtes de fin d'année",
    ),
    (
        HAZEBROUCK,
        "Nord",
        Flux.ORDURES_MENAGERES,
        Weekday.THURSDAY,
        12,
        1,
        ChangeKind.MOVED,
        1,
        "Marché de Noël",
    ),
    (PELUSSIN, None, Flux.ORDURES_MENAGERES, None, 8, 1, ChangeKind.MOVED, 1, "Fête du village"),
]


@transaction.atomic
def demo_calendars_load() -> int:
    """Calendars for every commune of the demo authorities that has none yet, their
    holiday policies, Hazebrouck's sectors and the demo exceptions. Returns the number of
    schedules created."""
    created = 0
    for slug in (CCFI_SLUG, PILAT_SLUG):
        authority = Authority.objects.filter(slug=slug).first()
        if authority is None:
            continue
        CalendarSettings.objects.get_or_create(
            authority=authority, defaults={"holiday_policy": POLICIES[slug]}
        )
        created += _schedules_ensure(authority)
        _exceptions_ensure(authority)
        calendars_changed(authority.pk)
    return created


def _sectors_ensure(authority: Authority, commune: Commune) -> dict[str, Sector]:
    sectors = {}
    for name, streets in HAZEBROUCK_SECTORS.items():
        sectors[name], _ = Sector.objects.get_or_create(
            authority=authority,
            commune=commune,
            name=name,
            defaults={"streets": "\n".join(streets)},
        )
    return sectors


def _schedules_ensure(authority: Authority) -> int:
    communes = list(Commune.objects.filter(authorities=authority).order_by("insee"))
    existing = set(
        CollectionSchedule.objects.filter(authority=authority).values_list(
            "commune_id", "sector__name", "flux"
        )
    )
    new = []
    for rank, commune in enumerate(communes):
        by_sector = _rules_for(authority.slug, commune.insee, rank)
        sectors = _sectors_ensure(authority, commune) if commune.insee == HAZEBROUCK else {}
        for sector_name, rules in by_sector.items():
            for rule in rules:
                if (commune.pk, sector_name, rule.flux) in existing:
                    continue
                new.append(
                    CollectionSchedule(
                        authority=authority,
                        commune=commune,
                        sector=sectors.get(sector_name),
                        flux=rule.flux,
                        kind=rule.kind,
                        weekday=rule.weekday,
                        reference_date=rule.reference,
                        ordinal=rule.ordinal,
                        valid_from=VALID_FROM,
                    )
                )
    CollectionSchedule.objects.bulk_create(new)
    return len(new)


def _exceptions_ensure(authority: Authority) -> None:
    for insee, sector_name, flux, weekday, month, day, kind, shift, reason in DEMO_EXCEPTIONS:
        schedules = CollectionSchedule.objects.filter(
            authority=authority, commune__insee=insee, flux=flux
        )
        if sector_name is None:
            schedules = schedules.filter(sector__isnull=True)
        else:
            schedules = schedules.filter(sector__name=sector_name)
        if weekday is not None:
            schedules = schedules.filter(weekday=weekday)
        schedule = schedules.order_by("pk").first()
        if schedule is None:
            continue
        for year in EXCEPTION_YEARS:
            anchor = datetime.date(year, month, day)
            nominal = next(
                nominal_dates(schedule.rule, anchor, anchor + datetime.timedelta(days=40)), None
            )
            if nominal is None:
                continue
            ScheduleException.objects.get_or_create(
                authority=authority,
                schedule=schedule,
                date=nominal,
                defaults={
                    "kind": kind,
                    "moved_to": nominal + datetime.timedelta(days=shift)
                    if kind == ChangeKind.MOVED
                    else None,
                    "reason": reason,
                },
            )
