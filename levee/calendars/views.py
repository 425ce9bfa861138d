"""Public calendars (no login) and the resident's calendar page with its private feed."""

import calendar as pycalendar
import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from levee.authorities.selectors import authority_get_by_slug
from levee.collection.models import Flux
from levee.space.access import space_authority
from levee.space.on_behalf import not_on_behalf
from levee.space.views import account_from_request, space_context

from . import ics, services, services_reminders
from .access import get_commune_for_authority, sector_pk_from
from .forms import ReminderForm
from .public_holidays import public_holidays
from .selectors import (
    FEED_FUTURE,
    FEED_PAST,
    FLUX_SHORT,
    CalendarScope,
    commune_calendar,
    communes_with_calendars,
    feed_token_find,
    feed_token_live,
    household_calendar,
    next_collections_for_account,
    reminder_of,
)

NEXT_PER_FLUX = 4
WEEKDAYS = [
    ("L", "lundi"),
    ("M", "mardi"),
    ("M", "mercredi"),
    ("J", "jeudi"),
    ("V", "vendredi"),
    ("S", "samedi"),
    ("D", "dimanche"),
]
MONTHS = [
    "Janvier",
    "Février",
    "Mars",
    "Avril",
    "Mai",
    "Juin",
    "Juillet",
    "Août",
    "Septembre",
    "Octobre",
    "Novembre",
    "Décembre",
]


def authority_calendars(request, slug):
    """« Calendriers des collectes »: the communes the authority serves, pick yours."""
    authority = authority_get_by_slug(slug)
    return render(
        request,
        "calendars/authority.html",
        {"authority": authority, "communes": communes_with_calendars(authority)},
    )


def commune(request, slug, insee):
    """A commune's next collections per flux (per sector when it has some)."""
    authority = authority_get_by_slug(slug)
    commune = get_commune_for_authority(authority, insee)
    today = timezone.localdate()
    found = commune_calendar(authority, commune)
    sections = [
        {"scope": scope, "fluxes": scope.next_by_flux(today=today, limit=NEXT_PER_FLUX)}
        for scope in found.scopes
    ]
    return render(
        request,
        "calendars/commune.html",
        {
            "authority": authority,
            "commune": commune,
            "calendar": found,
            "sections": sections,
            "today": today,
            "year": today.year,
            "next_year": today.year + 1,
        },
    )


def _scope_or_404(request, authority, commune):
    found = commune_calendar(authority, commune)
    scope = found.scope_for(sector_pk_from(request))
    if scope is None:
        raise Http404
    return found, scope


def _allowed_year(year: int, today: datetime.date) -> bool:
    return today.year - 1 <= year <= today.year + 2


def year_view(request, slug, insee, year):
    """The printable year: twelve months, each day with the fluxes collected."""
    authority = authority_get_by_slug(slug)
    commune = get_commune_for_authority(authority, insee)
    today = timezone.localdate()
    if not _allowed_year(year, today):
        raise Http404
    found, scope = _scope_or_404(request, authority, commune)
    start, end = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    days = scope.dates_by_day(start, end)
    holidays = public_holidays(commune.department, start, end)
    used = sorted({c.flux for cs in days.values() for c in cs}, key=Flux.values.index)
    weeks = pycalendar.Calendar(firstweekday=0)
    months = []
    for month in range(1, 13):
        rows = []
        for week in weeks.monthdatescalendar(year, month):
            rows.append(
                [
                    {"date": d, "collections": days.get(d, []), "holiday": holidays.get(d, "")}
                    if d.month == month
                    else None
                    for d in week
                ]
            )
        months.append({"name": MONTHS[month - 1], "weeks": rows})
    changes = [c for c in scope.collections(start, end) if c.cancelled or c.moved]
    return render(
        request,
        "calendars/year.html",
        {
            "authority": authority,
            "commune": commune,
            "calendar": found,
            "scope": scope,
            "year": year,
            "months": months,
            "weekdays": WEEKDAYS,
            "legend": [(FLUX_SHORT[f], Flux(f).label, f) for f in used],
            "changes": changes,
            "previous_year": year - 1 if _allowed_year(year - 1, today) else None,
            "following_year": year + 1 if _allowed_year(year + 1, today) else None,
        },
    )


def _feed_events(
    scope: CalendarScope,
    today: datetime.date,
    place: str,
    *,
    since: datetime.date | None = None,
    until: datetime.date | None = None,
) -> list[ics.Event]:
    """The feed's collections from FEED_PAST ago to FEED_FUTURE ahead, kept to
    `since` ≤ date < `until` when given (the dwelling a household leaves, the one it moves
    to)."""
    first, last = today - FEED_PAST, today + FEED_FUTURE
    if since is not None:
        first = max(first, since)
    if until is not None:
        last = min(last, until - datetime.timedelta(days=1))
    events = []
    if last < first:
        return events
    for c in scope.taking_place(first, last):
        description = f"Collecte des {c.flux_label.lower()} — {place}"
        if c.moved:
            description += f". Au lieu du {c.nominal:%d/%m/%Y}" + (
                f" ({c.reason})" if c.reason else ""
            )
        events.append(
            ics.Event(
                uid=ics.event_uid(c.schedule_id, c.nominal),
                date=c.date,
                summary=c.flux_label,
                description=description,
            )
        )
    return events


def _ics_response(text: str, filename: str, *, private: bool) -> HttpResponse:
    response = HttpResponse(text, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, no-store" if private else "public, max-age=3600"
    response["X-Robots-Tag"] = "noindex"
    return response


def _place(scope: CalendarScope) -> str:
    return scope.commune.name + (f", secteur {scope.sector.name}" if scope.sector else "")


def commune_ics(request, slug, insee):
    """The public feed of a commune (or `?secteur=<id>`)."""
    authority = authority_get_by_slug(slug)
    commune = get_commune_for_authority(authority, insee)
    found, scope = _scope_or_404(request, authority, commune)
    text = ics.calendar_ics(
        name=f"Collectes — {_place(scope)}",
        events=_feed_events(scope, timezone.localdate(), _place(scope)),
        stamp=scope.changed_at,
    )
    suffix = f"-secteur-{scope.sector.pk}" if scope.sector else ""
    return _ics_response(text, f"collectes-{commune.insee}{suffix}.ics", private=False)


def account_ics(request, slug, token):
    """The private feed of an account: the calendar of its dwelling, behind a revocable
    token. An unknown or revoked token is a 404."""
    authority = authority_get_by_slug(slug)
    found = feed_token_find(authority, token)
    if found is None:
        raise Http404
    found.account.authority = authority
    today = timezone.localdate()
    household = household_calendar(found.account, today=today)
    if household is None:
        raise Http404
    # A move takes effect on its date: the current dwelling's collections until then, the
    # new dwelling's from that day.
    events = []
    for period in household.periods:
        events += _feed_events(
            period.scope, today, period.place, since=period.since, until=period.until
        )
    stamp = max(period.scope.changed_at for period in household.periods)
    text = ics.calendar_ics(name=f"Mes collectes — {household.place}", events=events, stamp=stamp)
    return _ics_response(text, "mes-collectes.ics", private=True)


def _feed_url(authority, token) -> str:
    # The platform's own address (as in emails), whatever host the page was asked through.
    return settings.SITE_URL + reverse("calendars:account_ics", args=[authority.slug, token.token])


def _space_url(authority, account) -> str:
    return f"{reverse('calendars:space', args=[authority.slug])}?compte={account.pk}"


@login_required
def space(request, slug):
    """« Mon calendrier de collecte »: the household's next collections and its private
    feed link."""
    authority = space_authority(request, slug)
    account = account_from_request(request, authority)
    context = space_context(request, authority, account)
    household = _household(account, context)
    token = feed_token_live(account, request.user)
    reminder = reminder_of(account, request.user)
    return render(
        request,
        "calendars/space.html",
        {
            **context,
            "next_collections": household,
            "token": token,
            "feed_url": _feed_url(authority, token) if token else "",
            "reminder": reminder,
            "reminder_form": ReminderForm(
                initial=ReminderForm.initial_from(reminder), fluxes=_household_fluxes(household)
            ),
        },
    )


def _household(account, context=None):
    """The household's calendar on today, each date at the dwelling of that date: the
    current one's next collections until a move, the coming one's from its date; kept
    (levee.calendars.cache), read-only. `context`: the page's `space_context`, whose
    subscriptions it reads rather than again."""
    now_and_coming = (context["subscription"], context["subscription_coming"]) if context else None
    return next_collections_for_account(
        account, today=timezone.localdate(), limit=NEXT_PER_FLUX, now_and_coming=now_and_coming
    )


def _household_fluxes(household) -> list[str]:
    """The flux one may ask reminders for: those of the dwelling and of the one to come."""
    return household.all_fluxes if household is not None else []


@login_required
@not_on_behalf
def space_reminders(request, slug):
    """« Rappels par email »: the evening before each collection of the flux picked, and
    when a collection day changes. The person's own choice: refused at the counter."""
    authority = authority_get_by_slug(slug)
    account = account_from_request(request, authority)
    if request.method != "POST":
        return redirect(_space_url(authority, account) + "#rappels")
    household = _household(account)
    form = ReminderForm(request.POST, fluxes=_household_fluxes(household))
    if form.is_valid():
        reminder = services_reminders.reminder_set(
            account=account,
            user=request.user,
            fluxes=form.cleaned_data["fluxes"],
            on_eve=form.cleaned_data["on_eve"],
            on_change=form.cleaned_data["on_change"],
        )
        if reminder.active:
            messages.success(request, f"Vos rappels seront envoyés à {request.user.email}.")
        else:
            messages.success(request, "Vous ne recevrez plus de rappels des collectes.")
        return redirect(_space_url(authority, account) + "#rappels")
    token = feed_token_live(account, request.user)
    return render(
        request,
        "calendars/space.html",
        {
            **space_context(request, authority, account),
            "next_collections": household,
            "token": token,
            "feed_url": _feed_url(authority, token) if token else "",
            "reminder": reminder_of(account, request.user),
            "reminder_form": form,
        },
    )


def reminder_unsubscribe(request, slug, token):
    """« Ne plus recevoir ces emails », from a reminder: the signed link of the email, no
    login. The page asks for one click (a POST), so that a mail filter opening the link
    does not unsubscribe anybody."""
    authority = authority_get_by_slug(slug)
    reminder = services_reminders.reminder_from_token(authority, token)
    if reminder is None:
        raise Http404
    done = False
    if request.method == "POST":
        services_reminders.reminder_unsubscribe(reminder=reminder)
        done = True
    return render(
        request,
        "calendars/reminder_unsubscribe.html",
        {"authority": authority, "done": done},
    )


@login_required
@require_POST
@not_on_behalf
def space_link_create(request, slug):
    authority = authority_get_by_slug(slug)
    account = account_from_request(request, authority)
    services.feed_token_ensure(account=account, user=request.user)
    messages.success(request, "Votre lien d'agenda est prêt.")
    return redirect(_space_url(authority, account))


@login_required
@not_on_behalf
def space_link_revoke(request, slug):
    """« Révoquer ce lien »: asks for confirmation, then revokes the link and makes a new
    one; the old URL answers 404 from then on."""
    authority = authority_get_by_slug(slug)
    account = account_from_request(request, authority)
    token = feed_token_live(account, request.user)
    if token is None:
        raise Http404
    if request.method == "POST":
        raw = request.POST.get("token", "")
        new = None
        if raw.isdigit() and len(raw) < 19:
            new = services.feed_token_revoke(account=account, token_pk=int(raw), user=request.user)
        if new is not None:
            messages.success(
                request,
                "L'ancien lien ne fonctionne plus. Abonnez vos agendas au nouveau lien ci-dessous.",
            )
        return redirect(_space_url(authority, account))
    return render(
        request,
        "calendars/space_revoke.html",
        {**space_context(request, authority, account), "token": token},
    )
