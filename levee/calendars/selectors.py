"""Reads of the collection calendars: a commune's (or sector's) collections over a range,
the next ones per flux, the household's. Each in a fixed number of queries, every one
filtered on the authority (tenant guard)."""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Exists, F, OuterRef, Prefetch
from django.urls import reverse

from levee.authorities.models import Authority, Commune
from levee.collection.models import Flux
from levee.lib.text import sort_key_fr
from levee.subscribers.models import Account, Subscription
from levee.subscribers.selectors import subscription_now_and_coming

from . import cache as calendar_cache
from .models import (
    CalendarFeedToken,
    CalendarSettings,
    CollectionReminder,
    CollectionSchedule,
    ScheduleException,
    Sector,
)
from .public_holidays import public_holidays
from .rules import POLICY_SENTENCES, Change, occurrences

FLUX_ORDER = {value: index for index, value in enumerate(Flux.values)}
# The marks of the printable year view (with a legend; screen readers get the full name).
FLUX_SHORT = {
    Flux.ORDURES_MENAGERES: "OM",
    Flux.RECYCLABLES: "EMB",
    Flux.BIODECHETS: "BIO",
    Flux.VERRE: "V",
    Flux.PAPIER: "P",
}
# How far the public page and the space look for changes (holidays, exceptions) to announce.
NOTICE_HORIZON = datetime.timedelta(days=45)
# What an ICS feed holds: the recent past (so a calendar keeps last week) and a year ahead.
FEED_PAST = datetime.timedelta(days=31)
FEED_FUTURE = datetime.timedelta(days=396)


@dataclass(frozen=True)
class Collection:
    """One collection of one flux: when it takes place (None: cancelled), and why it differs
    from the rule's date when it does."""

    schedule_id: int
    flux: str
    nominal: datetime.date
    date: datetime.date | None
    reason: str = ""

    @property
    def flux_label(self) -> str:
        return Flux(self.flux).label

    @property
    def flux_short(self) -> str:
        return FLUX_SHORT.get(self.flux, "?")

    @property
    def cancelled(self) -> bool:
        return self.date is None

    @property
    def moved(self) -> bool:
        return self.date is not None and self.date != self.nominal


@dataclass
class FluxNext:
    """The next collections of one flux, for the commune page and the space."""

    flux: str
    rules: list[str]
    upcoming: list[Collection]
    cancelled: list[Collection] = field(default_factory=list)

    @property
    def label(self) -> str:
        return Flux(self.flux).label


def calendar_settings_of(authority: Authority) -> CalendarSettings:
    """The authority's calendar settings, or the defaults (not saved) when it has none."""
    found = CalendarSettings.objects.filter(authority=authority).first()
    return found or CalendarSettings(authority=authority)


@dataclass
class CalendarScope:
    """The calendar of one commune, or of one sector of it: the schedules of the whole
    commune plus those of the sector."""

    commune: Commune
    sector: Sector | None
    schedules: list[CollectionSchedule]
    policy: str
    # When the holiday policy last changed (None: never set), for the feeds' DTSTAMP.
    policy_changed_at: datetime.datetime | None = None

    @property
    def changed_at(self) -> datetime.datetime:
        """The last change of anything the scope's collections depend on."""
        stamps = [s.updated_at for s in self.schedules]
        if self.policy_changed_at:
            stamps.append(self.policy_changed_at)
        return max(stamps, default=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC))

    def collections(self, start: datetime.date, end: datetime.date) -> list[Collection]:
        """Every collection concerning [start, end], cancelled ones included, by date then
        flux. Two schedules of one flux on one date make one collection."""
        holidays = public_holidays(self.commune.department, start, end)
        found: dict[tuple, Collection] = {}
        for schedule in sorted(self.schedules, key=lambda s: s.pk):
            changes = {
                e.date: Change(kind=e.kind, moved_to=e.moved_to, reason=e.reason)
                for e in schedule.exceptions.all()
            }
            for o in occurrences(
                schedule.rule, start, end, holidays=holidays, policy=self.policy, changes=changes
            ):
                key = (
                    (schedule.flux, o.date)
                    if o.date
                    else (schedule.flux, None, schedule.pk, o.nominal)
                )
                found.setdefault(
                    key, Collection(schedule.pk, schedule.flux, o.nominal, o.date, o.reason)
                )
        return sorted(
            found.values(),
            key=lambda c: (c.date or c.nominal, FLUX_ORDER.get(c.flux, 99), c.schedule_id),
        )

    def taking_place(self, start: datetime.date, end: datetime.date) -> list[Collection]:
        return [c for c in self.collections(start, end) if c.date is not None]

    def next_by_flux(
        self, *, today: datetime.date, limit: int, until: datetime.date | None = None
    ) -> list[FluxNext]:
        """Per flux (in the usual order), its next `limit` collections from today on and the
        collections cancelled in the coming weeks; only those before `until` when given (the
        dwelling a household leaves on that date)."""
        by_flux: dict[str, FluxNext] = {}
        for schedule in sorted(self.schedules, key=lambda s: (FLUX_ORDER.get(s.flux, 99), s.pk)):
            item = by_flux.setdefault(schedule.flux, FluxNext(schedule.flux, [], []))
            text = schedule.rule.describe()
            if schedule.valid_until:
                text += f" (jusqu'au {schedule.valid_until:%d/%m/%Y})"
            if schedule.valid_from > today:
                text += f" (à partir du {schedule.valid_from:%d/%m/%Y})"
            if (schedule.valid_until is None or schedule.valid_until >= today) and (
                text not in item.rules
            ):
                item.rules.append(text)
        # Monthly rules need a few months to show `limit` dates.
        horizon = today + datetime.timedelta(days=31 * max(limit, 1) + 7)
        for c in self.collections(today, horizon):
            if until is not None and (c.date or c.nominal) >= until:
                continue
            item = by_flux[c.flux]
            if c.date is None:
                if c.nominal <= today + NOTICE_HORIZON:
                    item.cancelled.append(c)
            elif len(item.upcoming) < limit:
                item.upcoming.append(c)
        return [item for item in by_flux.values() if item.upcoming or item.rules]

    def dates_by_day(self, start: datetime.date, end: datetime.date) -> dict:
        """Date → the collections taking place that day (the year view)."""
        days: dict[datetime.date, list[Collection]] = defaultdict(list)
        for c in self.taking_place(start, end):
            days[c.date].append(c)
        return days


def _schedules(authority: Authority, commune: Commune) -> list[CollectionSchedule]:
    return list(
        CollectionSchedule.objects.filter(authority=authority, commune=commune)
        .select_related("sector")
        .prefetch_related(
            Prefetch(
                "exceptions",
                queryset=ScheduleException.objects.filter(authority=authority).order_by("date"),
            )
        )
    )


@dataclass
class CommuneCalendar:
    """Everything the public page of a commune shows: one scope per sector (each with the
    schedules of the whole commune), or a single scope when the commune has no sector."""

    authority: Authority
    commune: Commune
    policy: str
    sectors: list[Sector]
    scopes: list[CalendarScope]
    common: CalendarScope

    @property
    def policy_sentence(self) -> str:
        return POLICY_SENTENCES[self.policy]

    @property
    def is_empty(self) -> bool:
        return not any(scope.schedules for scope in self.scopes)

    def scope_for(self, sector_pk: int | None) -> CalendarScope | None:
        if sector_pk is None:
            return self.common
        return next((s for s in self.scopes if s.sector and s.sector.pk == sector_pk), None)


def commune_calendar(authority: Authority, commune: Commune) -> CommuneCalendar:
    """The commune's calendar: four queries (settings, sectors, schedules, exceptions)."""
    settings = calendar_settings_of(authority)
    policy, changed_at = settings.holiday_policy, settings.updated_at
    sectors = list(Sector.objects.filter(authority=authority, commune=commune).order_by("name"))
    schedules = _schedules(authority, commune)
    common = CalendarScope(
        commune, None, [s for s in schedules if s.sector_id is None], policy, changed_at
    )
    scopes = [
        CalendarScope(
            commune,
            sector,
            [s for s in schedules if s.sector_id in (None, sector.pk)],
            policy,
            changed_at,
        )
        for sector in sectors
    ] or [common]
    return CommuneCalendar(authority, commune, policy, sectors, scopes, common)


def communes_with_calendars(authority: Authority) -> list[Commune]:
    """The communes the authority serves, in French order (`sort_key_fr`), each with
    `has_calendar` (one query)."""
    communes = Commune.objects.filter(authorities=authority).annotate(
        has_calendar=Exists(
            CollectionSchedule.objects.filter(authority=authority, commune=OuterRef("pk"))
        )
    )
    return sorted(communes, key=lambda c: (sort_key_fr(c.name), c.insee))


def commune_served(authority: Authority, insee: str) -> Commune | None:
    return Commune.objects.filter(authorities=authority, insee=insee).first()


def sector_of_street(sectors: list[Sector], street: str) -> Sector | None:
    return next((s for s in sectors if s.covers(street)), None)


@dataclass
class HouseholdCalendar:
    """The calendar of an account's dwelling, for its space and its private feed. A move
    takes effect on its date: the dwelling left is the household's until the day before
    (`until`, exclusive), the one it moves to from that day (`since`); `coming` is the
    latter, when one is to come."""

    authority: Authority
    subscription: Subscription
    commune: Commune
    sector: Sector | None
    street_unmatched: bool  # the commune has sectors but the street is in none of them
    scope: CalendarScope
    fluxes: list[FluxNext]
    since: datetime.date | None = None
    until: datetime.date | None = None
    coming: "HouseholdCalendar | None" = None
    # The start of its keys in the shared cache (levee.calendars.cache).
    cache_prefix: str = ""

    @property
    def policy_sentence(self) -> str:
        return POLICY_SENTENCES[self.scope.policy]

    @property
    def public_url(self) -> str:
        return reverse("calendars:commune", args=[self.authority.slug, self.commune.insee])

    @property
    def place(self) -> str:
        return self.commune.name + (f", secteur {self.sector.name}" if self.sector else "")

    @property
    def last_day(self) -> datetime.date | None:
        """The last day at this dwelling, when the household leaves it."""
        return self.until - datetime.timedelta(days=1) if self.until else None

    @property
    def periods(self) -> list["HouseholdCalendar"]:
        """This dwelling then the one to come, each for its own dates."""
        return [self] + ([self.coming] if self.coming is not None else [])

    def holds(self, day: datetime.date) -> bool:
        """Whether the household lives here on `day`."""
        return (self.since is None or day >= self.since) and (
            self.until is None or day < self.until
        )

    def collections(self, start: datetime.date, end: datetime.date) -> list[Collection]:
        """The collections of [start, end] that take place (or would have) while the
        household lives here."""
        first = max(start, self.since) if self.since else start
        last = min(end, self.until - datetime.timedelta(days=1)) if self.until else end
        if last < first:
            return []
        return [c for c in self.scope.collections(first, last) if self.holds(c.date or c.nominal)]

    def next_by_flux(self, *, today: datetime.date, limit: int) -> list[FluxNext]:
        """Per flux, the next collections at this dwelling (from its first day when it is
        to come, none from the day the household leaves it)."""
        start = max(today, self.since) if self.since else today
        return self.scope.next_by_flux(today=start, limit=limit, until=self.until)

    def with_next(self, *, today: datetime.date, limit: int) -> "HouseholdCalendar":
        """Fills `fluxes` of this dwelling and of the one to come; returns self."""
        for period in self.periods:
            period.fluxes = period.next_by_flux(today=today, limit=limit)
        return self

    @property
    def all_fluxes(self) -> list[str]:
        """The flux collected at this dwelling or at the one to come (the reminders' choice)."""
        found = {s.flux for period in self.periods for s in period.scope.schedules}
        return sorted(found, key=Flux.values.index)


@dataclass
class _CommuneData:
    """What a commune's calendars are made of, as the shared cache keeps it."""

    policy: str
    policy_changed_at: datetime.datetime | None
    sectors: list[Sector]
    schedules: list[CollectionSchedule]


def _commune_data_read(authority: Authority, commune: Commune) -> _CommuneData:
    """The authority's calendar of the commune, in four queries (settings, sectors,
    schedules, exceptions)."""
    settings = calendar_settings_of(authority)
    return _CommuneData(
        policy=settings.holiday_policy,
        policy_changed_at=settings.updated_at,
        sectors=list(Sector.objects.filter(authority=authority, commune=commune).order_by("name")),
        schedules=_schedules(authority, commune),
    )


def _commune_data(authority: Authority, commune: Commune, prefix: str | None) -> _CommuneData:
    """`_commune_data_read`, kept under the keys of `prefix` (levee.calendars.cache) when
    given."""
    if prefix is None:
        return _commune_data_read(authority, commune)
    return calendar_cache.remembered(
        f"{prefix}:commune:{commune.pk}", lambda: _commune_data_read(authority, commune)
    )


def _dwelling_calendar(
    account: Account, subscription: Subscription, prefix: str | None
) -> HouseholdCalendar:
    authority, commune = account.authority, subscription.commune
    data = _commune_data(authority, commune, prefix)
    sector = sector_of_street(data.sectors, subscription.street)
    schedules = [
        s
        for s in data.schedules
        if s.sector_id is None or (sector is not None and s.sector_id == sector.pk)
    ]
    scope = CalendarScope(commune, sector, schedules, data.policy, data.policy_changed_at)
    return HouseholdCalendar(
        authority=authority,
        subscription=subscription,
        commune=commune,
        sector=sector,
        street_unmatched=bool(data.sectors) and sector is None,
        scope=scope,
        fluxes=[],
    )


def household_calendar(
    account: Account,
    *,
    today: datetime.date | None = None,
    subscription: Subscription | None = None,
    now_and_coming: tuple[Subscription | None, Subscription | None] | None = None,
    kept: bool = False,
) -> HouseholdCalendar | None:
    """The calendar of the account's dwelling on `today` (a move takes effect on its date):
    its commune's, and its sector's when its street is in one — with, when a move or a
    J'emménage is to come, `until` its date and `coming` the calendar of the dwelling to
    come from that date, so that every date reads the dwelling of that date (as the private
    feed does). Or that of `subscription` alone when given. None when the account has no
    subscription. `now_and_coming`: what `subscription_now_and_coming` gave for `today`,
    when the caller has read it already (the space's header does). `kept`: the communes'
    calendars as levee.calendars.cache keeps them (read-only), read once per version."""
    coming = None
    if subscription is None:
        # The subscription the space's header shows, so both speak of the same dwelling.
        subscription, coming = now_and_coming or subscription_now_and_coming(account, today=today)
    if subscription is None:
        return None
    prefix = calendar_cache.key_prefix(account.authority) if kept else None
    calendar = _dwelling_calendar(account, subscription, prefix)
    if coming is not None:
        calendar.until = coming.subscribed_on
        calendar.coming = _dwelling_calendar(account, coming, prefix)
        calendar.coming.since = coming.subscribed_on
    calendar.cache_prefix = prefix or ""
    return calendar


def _fluxes_kept(period: HouseholdCalendar, *, today: datetime.date, limit: int):
    """`period.next_by_flux`, computed once a day per commune, sector, department (its
    holidays) and move date, and kept (levee.calendars.cache): the rules' dates are the
    same for every household there."""
    sector = period.sector.pk if period.sector else "-"
    key = (
        f"{period.cache_prefix}:next:{period.commune.pk}:{period.commune.department}:{sector}:"
        f"{today.isoformat()}:{period.since}:{period.until}:{limit}"
    )
    return calendar_cache.remembered(key, lambda: period.next_by_flux(today=today, limit=limit))


def next_collections_for_account(
    account: Account,
    *,
    today: datetime.date,
    limit: int = 3,
    now_and_coming: tuple[Subscription | None, Subscription | None] | None = None,
) -> HouseholdCalendar | None:
    """The household's next collections: per flux, its next `limit` dates from `today`
    (holidays and exceptions applied), for the commune and sector of the account's
    subscription — until a move's date, then (`.coming`) those of the dwelling it moves to.
    None when the account has no subscription; `.fluxes` is empty when the commune has no
    calendar yet. `now_and_coming` as for `household_calendar`.

    Computed once a day per commune and sector and kept, as the commune's calendar, in
    each process for as long as the authority's calendar version holds
    (levee.calendars.cache): with both kept, a cache read of that version and the
    subscriptions' query (none with `now_and_coming`); the first time, four queries more
    per dwelling (settings, sectors, schedules, exceptions). The result is shared: read it
    only.

    The template `calendars/_next_collections.html` shows it (context variable
    `next_collections`)."""
    calendar = household_calendar(account, today=today, now_and_coming=now_and_coming, kept=True)
    if calendar is not None:
        for period in calendar.periods:
            period.cache_prefix = calendar.cache_prefix
            period.fluxes = _fluxes_kept(period, today=today, limit=limit)
    return calendar


def schedules_for_backoffice(authority: Authority, commune: Commune | None = None):
    """The authority's schedules by commune, sector and flux (one query)."""
    schedules = CollectionSchedule.objects.filter(authority=authority).select_related(
        "commune", "sector"
    )
    if commune is not None:
        schedules = schedules.filter(commune=commune)
    return schedules.order_by("commune__search_name", "sector__name", "flux", "weekday", "pk")


def sectors_for_backoffice(authority: Authority):
    return (
        Sector.objects.filter(authority=authority)
        .select_related("commune")
        .annotate(
            in_use=Exists(
                CollectionSchedule.objects.filter(authority=authority, sector=OuterRef("pk"))
            )
        )
        .order_by("commune__search_name", "name")
    )


def exceptions_of(schedule: CollectionSchedule) -> list[ScheduleException]:
    """The exceptions of a schedule (its page lists them and previews its next dates)."""
    return list(
        ScheduleException.objects.filter(authority_id=schedule.authority_id, schedule=schedule)
    )


def feed_token_live(account: Account, user) -> CalendarFeedToken | None:
    """The live token `user` made for `account` (another login of the household has his own)."""
    if not getattr(user, "is_authenticated", False):
        return None
    return CalendarFeedToken.objects.filter(
        authority_id=account.authority_id, account=account, created_by=user, revoked_at__isnull=True
    ).first()


def feed_token_find(authority: Authority, token: str) -> CalendarFeedToken | None:
    """The live token of the URL, with its account; None when unknown, revoked, or when the
    login that made it no longer holds the account (or is gone, or deactivated)."""
    if not token or len(token) > 64:
        return None
    return (
        CalendarFeedToken.objects.filter(
            authority=authority,
            token=token,
            revoked_at__isnull=True,
            created_by__is_active=True,
            created_by__account_accesses__account=F("account"),
        )
        .select_related("account")
        .first()
    )


def reminder_of(account: Account, user) -> CollectionReminder | None:
    """The « Rappels par email » this login chose for the account (another login of the
    household has his own)."""
    if not getattr(user, "is_authenticated", False):
        return None
    return CollectionReminder.objects.filter(
        authority_id=account.authority_id, account=account, user=user
    ).first()
