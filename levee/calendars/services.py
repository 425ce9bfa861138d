"""Changes to the collection calendars. Agents' changes write an audit row in the same
transaction; residents' feed tokens change through conditional updates, so a double click
revokes once and creates one new link."""

import datetime
import secrets

from django.db import IntegrityError, transaction
from django.utils import timezone

from levee.accounts.models import User
from levee.audit.services import audit_write
from levee.authorities.models import Authority, Commune
from levee.subscribers.models import Account

from .cache import calendars_changed
from .models import (
    CalendarFeedToken,
    CalendarSettings,
    CollectionSchedule,
    ScheduleException,
    Sector,
)

SCHEDULE_FIELDS = (
    "commune",
    "sector",
    "flux",
    "kind",
    "weekday",
    "reference_date",
    "ordinal",
    "valid_from",
    "valid_until",
)
SECTOR_FIELDS = ("commune", "name", "streets")


def _plain(value):
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Commune):
        return value.insee
    if isinstance(value, Sector):
        return value.name
    return value


def _snapshot(obj, fields) -> dict:
    return {name: _plain(getattr(obj, name)) for name in fields}


@transaction.atomic
def holiday_policy_set(*, authority: Authority, policy: str, agent_user: User) -> CalendarSettings:
    """Sets what happens to a collection due on a public holiday (next day, previous day,
    cancelled), for every calendar of the authority."""
    found, _ = CalendarSettings.objects.get_or_create(authority=authority)
    before = found.holiday_policy
    if before != policy:
        found.holiday_policy = policy
        found.save(update_fields=["holiday_policy", "updated_at"])
        calendars_changed(authority.pk)
        audit_write(
            authority=authority,
            actor=agent_user,
            action="calendar.holiday_policy",
            obj=found,
            before={"holiday_policy": before},
            after={"holiday_policy": policy},
        )
    return found


@transaction.atomic
def schedule_create(*, authority: Authority, agent_user: User, **fields) -> CollectionSchedule:
    """A new collection rule for a commune (or sector) and a flux."""
    schedule = CollectionSchedule.objects.create(authority=authority, **fields)
    calendars_changed(authority.pk)
    audit_write(
        authority=authority,
        actor=agent_user,
        action="calendar.schedule_create",
        obj=schedule,
        after=_snapshot(schedule, SCHEDULE_FIELDS),
    )
    return schedule


@transaction.atomic
def schedule_update(
    *, schedule: CollectionSchedule, agent_user: User, **fields
) -> CollectionSchedule:
    """Changes a rule; its exceptions stay attached to their dates."""
    before = _snapshot(schedule, SCHEDULE_FIELDS)
    for name, value in fields.items():
        setattr(schedule, name, value)
    schedule.save(update_fields=[*fields, "updated_at"])
    calendars_changed(schedule.authority_id)
    after = _snapshot(schedule, SCHEDULE_FIELDS)
    changed = [name for name in SCHEDULE_FIELDS if before[name] != after[name]]
    if changed:
        audit_write(
            authority=schedule.authority,
            actor=agent_user,
            action="calendar.schedule_update",
            obj=schedule,
            before={name: before[name] for name in changed},
            after={name: after[name] for name in changed},
        )
    return schedule


@transaction.atomic
def schedule_delete(*, schedule: CollectionSchedule, agent_user: User) -> None:
    """Deletes a rule and its exceptions."""
    audit_write(
        authority=schedule.authority,
        actor=agent_user,
        action="calendar.schedule_delete",
        obj=schedule,
        before=_snapshot(schedule, SCHEDULE_FIELDS),
    )
    schedule.delete()
    calendars_changed(schedule.authority_id)


def _schedule_touch(schedule: CollectionSchedule) -> None:
    # The feeds' DTSTAMP is the schedule's last change: an exception is one.
    CollectionSchedule.objects.filter(pk=schedule.pk, authority_id=schedule.authority_id).update(
        updated_at=timezone.now()
    )
    calendars_changed(schedule.authority_id)


@transaction.atomic
def exception_add(
    *,
    schedule: CollectionSchedule,
    agent_user: User,
    date: datetime.date,
    kind: str,
    moved_to: datetime.date | None = None,
    reason: str = "",
) -> ScheduleException:
    """Cancels or moves the collection of `date` (a date the rule gives). An exception on
    that date already there is replaced."""
    previous = ScheduleException.objects.filter(
        authority_id=schedule.authority_id, schedule=schedule, date=date
    ).first()
    before = _snapshot(previous, ("date", "kind", "moved_to", "reason")) if previous else {}
    if previous:
        previous.delete()
    exception = ScheduleException.objects.create(
        authority_id=schedule.authority_id,
        schedule=schedule,
        date=date,
        kind=kind,
        moved_to=moved_to,
        reason=reason,
    )
    _schedule_touch(schedule)
    audit_write(
        authority=schedule.authority,
        actor=agent_user,
        action="calendar.exception_add",
        obj=schedule,
        before=before,
        after=_snapshot(exception, ("date", "kind", "moved_to", "reason")),
    )
    return exception


@transaction.atomic
def exception_remove(*, exception: ScheduleException, agent_user: User) -> None:
    schedule = exception.schedule
    audit_write(
        authority=schedule.authority,
        actor=agent_user,
        action="calendar.exception_remove",
        obj=schedule,
        before=_snapshot(exception, ("date", "kind", "moved_to", "reason")),
    )
    exception.delete()
    _schedule_touch(schedule)


@transaction.atomic
def sector_create(
    *, authority: Authority, agent_user: User, commune: Commune, name: str, streets: str
) -> Sector:
    sector = Sector.objects.create(authority=authority, commune=commune, name=name, streets=streets)
    calendars_changed(authority.pk)
    audit_write(
        authority=authority,
        actor=agent_user,
        action="calendar.sector_create",
        obj=sector,
        after=_snapshot(sector, SECTOR_FIELDS),
    )
    return sector


@transaction.atomic
def sector_update(*, sector: Sector, agent_user: User, **fields) -> Sector:
    before = _snapshot(sector, SECTOR_FIELDS)
    for name, value in fields.items():
        setattr(sector, name, value)
    sector.save(update_fields=[*fields, "updated_at"])
    calendars_changed(sector.authority_id)
    after = _snapshot(sector, SECTOR_FIELDS)
    changed = [name for name in SECTOR_FIELDS if before[name] != after[name]]
    if changed:
        # Its schedules' feeds change with the streets they cover.
        CollectionSchedule.objects.filter(authority_id=sector.authority_id, sector=sector).update(
            updated_at=timezone.now()
        )
        audit_write(
            authority=sector.authority,
            actor=agent_user,
            action="calendar.sector_update",
            obj=sector,
            before={name: before[name] for name in changed},
            after={name: after[name] for name in changed},
        )
    return sector


class SectorInUse(Exception):
    pass


@transaction.atomic
def sector_delete(*, sector: Sector, agent_user: User) -> None:
    """Deletes a sector that no schedule uses any more (SectorInUse otherwise)."""
    if CollectionSchedule.objects.filter(authority_id=sector.authority_id, sector=sector).exists():
        raise SectorInUse
    audit_write(
        authority=sector.authority,
        actor=agent_user,
        action="calendar.sector_delete",
        obj=sector,
        before=_snapshot(sector, SECTOR_FIELDS),
    )
    sector.delete()
    calendars_changed(sector.authority_id)


def _token_new() -> str:
    return secrets.token_urlsafe(24)


@transaction.atomic
def feed_token_ensure(*, account: Account, user: User) -> CalendarFeedToken:
    """The live private-feed token of `user` for the account, created when he has none."""
    live = CalendarFeedToken.objects.filter(
        authority_id=account.authority_id, account=account, created_by=user, revoked_at__isnull=True
    ).first()
    if live is not None:
        return live
    try:
        with transaction.atomic():
            return CalendarFeedToken.objects.create(
                authority_id=account.authority_id,
                account=account,
                token=_token_new(),
                created_by=user,
            )
    except IntegrityError:
        # Two clicks at once: the other one created it.
        return CalendarFeedToken.objects.get(
            authority_id=account.authority_id,
            account=account,
            created_by=user,
            revoked_at__isnull=True,
        )


@transaction.atomic
def feed_token_revoke(*, account: Account, token_pk: int, user: User) -> CalendarFeedToken | None:
    """Revokes `user`'s token `token_pk` for the account (its URL answers 404 from now on)
    and gives him a new one. Nothing happens when that token is not his live one (a second
    click, an old page, another login's): returns None."""
    revoked = CalendarFeedToken.objects.filter(
        pk=token_pk,
        authority_id=account.authority_id,
        account=account,
        created_by=user,
        revoked_at__isnull=True,
    ).update(revoked_at=timezone.now())
    if not revoked:
        return None
    return CalendarFeedToken.objects.create(
        authority_id=account.authority_id, account=account, token=_token_new(), created_by=user
    )
