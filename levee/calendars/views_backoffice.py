"""The agents' pages of the calendars: schedules by commune, exceptions, sectors and the
holiday policy — only within the agent's authority."""

import datetime

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from levee.agents import roles
from levee.backoffice.access import agent_required

from . import services
from .access import (
    get_commune_for_authority,
    get_exception_for_agent,
    get_schedule_for_agent,
    get_sector_for_agent,
)
from .forms import ExceptionForm, HolidayPolicyForm, ScheduleForm, SectorForm
from .public_holidays import public_holidays
from .rules import Change, occurrences
from .selectors import (
    calendar_settings_of,
    communes_with_calendars,
    exceptions_of,
    schedules_for_backoffice,
    sectors_for_backoffice,
)

PREVIEW_DAYS = 120
PREVIEW_COUNT = 8


@agent_required
def schedules(request):
    """The authority's schedules, grouped by commune (or one commune's, `?commune=<insee>`);
    the communes still without one."""
    authority = request.agent.authority
    communes = communes_with_calendars(authority)
    wanted = request.GET.get("commune", "")
    shown = next((c for c in communes if c.insee == wanted), None)
    by_commune: dict[int, list] = {}
    for schedule in schedules_for_backoffice(authority, shown):
        by_commune.setdefault(schedule.commune_id, []).append(schedule)
    groups = [(c, by_commune[c.pk]) for c in communes if c.pk in by_commune]
    return render(
        request,
        "calendars/backoffice/schedules.html",
        {
            "groups": groups,
            "communes": [c for c in communes if c.has_calendar],
            "shown": shown,
            "without": [c for c in communes if not c.has_calendar],
            "settings": calendar_settings_of(authority),
        },
    )


@agent_required(roles.CALENDARS)
def schedule_create(request):
    authority = request.agent.authority
    policy = calendar_settings_of(authority).holiday_policy
    initial = {"valid_from": timezone.localdate().replace(month=1, day=1)}
    insee = request.GET.get("commune", "")
    if insee:
        initial["commune"] = get_commune_for_authority(authority, insee).pk
    form = ScheduleForm(request.POST or None, authority=authority, policy=policy, initial=initial)
    if request.method == "POST" and form.is_valid():
        schedule = services.schedule_create(
            authority=authority, agent_user=request.user, **form.service_fields()
        )
        messages.success(request, f"Calendrier créé : {schedule}.")
        return redirect("calendars:bo_schedule", schedule.pk)
    return render(request, "calendars/backoffice/schedule_form.html", {"form": form})


def _preview(schedule, policy: str) -> list:
    today = timezone.localdate()
    end = today + datetime.timedelta(days=PREVIEW_DAYS)
    changes = {e.date: Change(e.kind, e.moved_to, e.reason) for e in schedule.exceptions_shown}
    found = occurrences(
        schedule.rule,
        today,
        end,
        holidays=public_holidays(schedule.commune.department, today, end),
        policy=policy,
        changes=changes,
    )
    return found[:PREVIEW_COUNT]


def _schedule_page(request, schedule, *, form=None, exception_form=None, status=200):
    policy = calendar_settings_of(request.agent.authority).holiday_policy
    schedule.exceptions_shown = exceptions_of(schedule)
    return render(
        request,
        "calendars/backoffice/schedule_detail.html",
        {
            "schedule": schedule,
            "form": form
            or ScheduleForm(
                authority=request.agent.authority,
                policy=policy,
                schedule=schedule,
                initial=ScheduleForm.initial_from(schedule),
            ),
            "exception_form": exception_form or ExceptionForm(schedule=schedule, policy=policy),
            "preview": _preview(schedule, policy),
        },
        status=status,
    )


@agent_required(writes=roles.CALENDARS)
def schedule_detail(request, pk):
    """Edit a schedule; its exceptions and its next dates below."""
    schedule = get_schedule_for_agent(request, pk)
    if request.method != "POST":
        return _schedule_page(request, schedule)
    policy = calendar_settings_of(request.agent.authority).holiday_policy
    form = ScheduleForm(
        request.POST, authority=request.agent.authority, policy=policy, schedule=schedule
    )
    if not form.is_valid():
        return _schedule_page(request, schedule, form=form)
    services.schedule_update(schedule=schedule, agent_user=request.user, **form.service_fields())
    messages.success(request, "Calendrier enregistré.")
    return redirect("calendars:bo_schedule", schedule.pk)


@agent_required(roles.CALENDARS)
def schedule_delete(request, pk):
    schedule = get_schedule_for_agent(request, pk)
    if request.method == "POST":
        label = str(schedule)
        services.schedule_delete(schedule=schedule, agent_user=request.user)
        messages.success(request, f"Calendrier supprimé : {label}.")
        return redirect("calendars:bo_schedules")
    return render(request, "calendars/backoffice/schedule_delete.html", {"schedule": schedule})


@agent_required(roles.CALENDARS)
@require_POST
def exception_add(request, pk):
    schedule = get_schedule_for_agent(request, pk)
    policy = calendar_settings_of(request.agent.authority).holiday_policy
    form = ExceptionForm(request.POST, schedule=schedule, policy=policy)
    if not form.is_valid():
        return _schedule_page(request, schedule, exception_form=form)
    exception = services.exception_add(
        schedule=schedule, agent_user=request.user, **form.service_fields()
    )
    messages.success(request, f"Exception enregistrée : collecte du {exception}.")
    return redirect("calendars:bo_schedule", schedule.pk)


@agent_required(roles.CALENDARS)
@require_POST
def exception_remove(request, pk):
    exception = get_exception_for_agent(request, pk)
    schedule_pk = exception.schedule_id
    services.exception_remove(exception=exception, agent_user=request.user)
    messages.success(request, "Exception supprimée : la collecte suit de nouveau la règle.")
    return redirect("calendars:bo_schedule", schedule_pk)


@agent_required(writes=roles.SETTINGS)
def holiday_policy(request):
    authority = request.agent.authority
    current = calendar_settings_of(authority)
    form = HolidayPolicyForm(
        request.POST or None, initial={"holiday_policy": current.holiday_policy}
    )
    if request.method == "POST" and form.is_valid():
        services.holiday_policy_set(
            authority=authority,
            policy=form.cleaned_data["holiday_policy"],
            agent_user=request.user,
        )
        messages.success(request, "Règle des jours fériés enregistrée.")
        return redirect("calendars:bo_schedules")
    return render(
        request, "calendars/backoffice/holiday_policy.html", {"form": form, "current": current}
    )


@agent_required(writes=roles.CALENDARS)
def sectors(request):
    """The authority's sectors, and the form to add one."""
    authority = request.agent.authority
    form = SectorForm(request.POST or None, authority=authority)
    if request.method == "POST" and form.is_valid():
        sector = services.sector_create(
            authority=authority, agent_user=request.user, **form.cleaned_data
        )
        messages.success(request, f"Secteur créé : {sector}.")
        return redirect("calendars:bo_sectors")
    return render(
        request,
        "calendars/backoffice/sectors.html",
        {"sectors": list(sectors_for_backoffice(authority)), "form": form},
    )


@agent_required(writes=roles.CALENDARS)
def sector_detail(request, pk):
    sector = get_sector_for_agent(request, pk)
    form = SectorForm(
        request.POST or None,
        authority=request.agent.authority,
        sector=sector,
        initial={"commune": sector.commune_id, "name": sector.name, "streets": sector.streets},
    )
    if request.method == "POST" and form.is_valid():
        services.sector_update(sector=sector, agent_user=request.user, **form.cleaned_data)
        messages.success(request, "Secteur enregistré.")
        return redirect("calendars:bo_sectors")
    return render(
        request, "calendars/backoffice/sector_form.html", {"sector": sector, "form": form}
    )


@agent_required(roles.CALENDARS)
def sector_delete(request, pk):
    sector = get_sector_for_agent(request, pk)
    if request.method == "POST":
        try:
            services.sector_delete(sector=sector, agent_user=request.user)
        except services.SectorInUse:
            messages.error(
                request,
                "Ce secteur a encore des calendriers : supprimez-les, ou rattachez-les à toute "
                "la commune, avant de supprimer le secteur.",
            )
            return redirect("calendars:bo_sector", sector.pk)
        messages.success(request, f"Secteur supprimé : {sector.name}.")
        return redirect("calendars:bo_sectors")
    return render(request, "calendars/backoffice/sector_delete.html", {"sector": sector})
