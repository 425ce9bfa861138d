"""« Rappels par email » of « Mon calendrier de collecte »: a resident's choice, the signed
link that undoes it without a login, and the periodic job that sends, through the outbox,
the evening reminder before each collection and the alert when a collection day changes.

Each collection is sent once per reminder and kind: a `CollectionReminderSent` row is
written in the transaction of its email, under a unique constraint, so a job run twice (or
two workers at once) sends nothing twice.
"""

import datetime

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from levee.accounts.models import User
from levee.collection.models import Flux
from levee.mailing.services import mail_enqueue
from levee.subscribers.models import Account

from .models import CollectionReminder, CollectionReminderSent, ReminderKind
from .selectors import NOTICE_HORIZON, Collection, household_calendar

# The evening reminder leaves from this hour (Paris time) for the next day's collections.
EVE_HOUR = 17
UNSUBSCRIBE_SALT = "calendars.reminder.unsubscribe"


def unsubscribe_token(reminder: CollectionReminder) -> str:
    return signing.dumps(reminder.pk, salt=UNSUBSCRIBE_SALT)


def reminder_from_token(authority, token: str) -> CollectionReminder | None:
    """The reminder of a signed « Se désabonner » link, in that authority; None otherwise."""
    try:
        pk = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(pk, int):
        return None
    return CollectionReminder.objects.filter(authority=authority, pk=pk).first()


def unsubscribe_url(reminder: CollectionReminder) -> str:
    return settings.SITE_URL + reverse(
        "calendars:reminder_unsubscribe",
        args=[reminder.authority.slug, unsubscribe_token(reminder)],
    )


@transaction.atomic
def reminder_set(
    *, account: Account, user: User, fluxes: list[str], on_eve: bool, on_change: bool
) -> CollectionReminder:
    """« Enregistrer mes rappels »: the flux and the emails this login wants for the
    account's dwelling. Choosing nothing keeps the row, switched off."""
    fluxes = [f for f in Flux.values if f in set(fluxes)]
    reminder, created = CollectionReminder.objects.get_or_create(
        authority_id=account.authority_id,
        account=account,
        user=user,
        defaults={"fluxes": fluxes, "on_eve": on_eve, "on_change": on_change},
    )
    if not created:
        reminder.fluxes, reminder.on_eve, reminder.on_change = fluxes, on_eve, on_change
        reminder.save(update_fields=["fluxes", "on_eve", "on_change", "updated_at"])
    return reminder


def reminder_unsubscribe(*, reminder: CollectionReminder) -> bool:
    """« Me désabonner » from an email: no more reminders nor alerts. True when it turned
    them off now, False when they were off already (a second click)."""
    return bool(
        CollectionReminder.objects.filter(pk=reminder.pk)
        .filter(Q(on_eve=True) | Q(on_change=True))
        .update(on_eve=False, on_change=False, updated_at=timezone.now())
    )


def _reminders_due():
    """Switched-on reminders whose login is active and still reaches the account."""
    return (
        CollectionReminder.objects.filter(Q(on_eve=True) | Q(on_change=True))
        .filter(user__is_active=True, user__account_accesses__account=F("account"))
        .select_related("authority", "account", "user")
        .order_by("pk")
    )


def _record_new(reminder, kind: str, collections: list[Collection]) -> list[Collection]:
    """Writes a sent row for each collection not sent yet; returns those (inside the
    caller's transaction)."""
    new = []
    for c in collections:
        date = c.date or c.nominal
        _, created = CollectionReminderSent.objects.get_or_create(
            authority_id=reminder.authority_id,
            reminder=reminder,
            kind=kind,
            schedule_id=c.schedule_id,
            nominal=c.nominal,
            date=date,
            cancelled=c.date is None,
        )
        if created:
            new.append(c)
    return new


def _send(reminder, kind: str, collections: list[Collection], context: dict) -> bool:
    template = "collection_reminder" if kind == ReminderKind.EVE else "collection_change"
    try:
        with transaction.atomic():
            new = _record_new(reminder, kind, collections)
            if not new:
                return False
            mail_enqueue(
                to=reminder.user.email,
                template=template,
                authority=reminder.authority,
                context={
                    **context,
                    "collections": new,
                    "unsubscribe_url": unsubscribe_url(reminder),
                    "space_url": reverse("calendars:space", args=[reminder.authority.slug])
                    + f"?compte={reminder.account_id}",
                },
            )
    except IntegrityError:
        # Another run recorded the same collection meanwhile: it sends the email.
        return False
    return True


def collection_reminders_send(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """The periodic job: from EVE_HOUR, the reminder of tomorrow's collections; at any hour,
    the alert for each collection of the coming weeks that a holiday or an agent moved or
    cancelled. Only the flux each person picked. Returns how many emails of each kind."""
    now = timezone.localtime(now or timezone.now())
    today = now.date()
    tomorrow = today + datetime.timedelta(days=1)
    sent = {"eve": 0, "change": 0}
    households: dict[int, object] = {}
    for reminder in _reminders_due():
        if not reminder.fluxes:
            continue
        if reminder.account_id not in households:
            reminder.account.authority = reminder.authority
            # Tomorrow's dwelling (on the eve of a move, the new one) and the one to come.
            households[reminder.account_id] = household_calendar(reminder.account, today=tomorrow)
        household = households[reminder.account_id]
        if household is None:
            continue
        # Each collection at the dwelling of its date: a move accepted for a later date
        # keeps the current dwelling's until the day before, the new one's from that day.
        for period in household.periods:
            collections = [
                c
                for c in period.collections(tomorrow, today + NOTICE_HORIZON)
                if c.flux in reminder.fluxes
            ]
            context = {"place": period.commune.name, "day": tomorrow}
            if reminder.on_eve and now.hour >= EVE_HOUR:
                eve = [c for c in collections if c.date == tomorrow]
                if eve and _send(reminder, ReminderKind.EVE, eve, context):
                    sent["eve"] += 1
            if reminder.on_change:
                changed = [c for c in collections if c.cancelled or c.moved]
                if changed and _send(reminder, ReminderKind.CHANGE, changed, context):
                    sent["change"] += 1
    return sent
