"""Access helpers of the calendars: a commune is shown only under the authority that serves
it; an agent reaches only his authority's schedules, exceptions and sectors; anything else
is a 404."""

import re

from django.http import Http404
from django.shortcuts import get_object_or_404

from levee.authorities.models import Authority, Commune

from .models import CollectionSchedule, ScheduleException, Sector
from .selectors import commune_served

INSEE_RE = re.compile(r"^[0-9][0-9AB][0-9]{3}$")


def get_commune_for_authority(authority: Authority, insee: str) -> Commune:
    commune = commune_served(authority, insee) if INSEE_RE.match(insee or "") else None
    if commune is None:
        raise Http404
    return commune


def sector_pk_from(request) -> int | None:
    """The `?secteur=<id>` of a public calendar URL; junk is a 404."""
    raw = request.GET.get("secteur")
    if raw is None or raw == "":
        return None
    if not raw.isdigit() or len(raw) > 12:
        raise Http404
    return int(raw)


def get_schedule_for_agent(request, pk: int) -> CollectionSchedule:
    schedule = get_object_or_404(
        CollectionSchedule.objects.filter(authority=request.agent.authority).select_related(
            "commune", "sector"
        ),
        pk=pk,
    )
    schedule.authority = request.agent.authority
    return schedule


def get_exception_for_agent(request, pk: int) -> ScheduleException:
    exception = get_object_or_404(
        ScheduleException.objects.filter(authority=request.agent.authority).select_related(
            "schedule"
        ),
        pk=pk,
    )
    exception.authority = exception.schedule.authority = request.agent.authority
    return exception


def get_sector_for_agent(request, pk: int) -> Sector:
    sector = get_object_or_404(
        Sector.objects.filter(authority=request.agent.authority).select_related("commune"),
        pk=pk,
    )
    sector.authority = request.agent.authority
    return sector
