"""Reads of the demandes: a resident's « Suivi », a request's thread and history, the
agents' work queue."""

import datetime
from dataclasses import dataclass

from django.db.models import Count, F, Min, Q, Sum

from levee.authorities.models import Commune
from levee.lib.text import sort_key_fr

from .models import (
    OPEN,
    OPEN_STATUSES,
    RequestMessage,
    RequestStatus,
    RequestStatusChange,
    ServiceRequest,
)
from .registry import request_type_get


def age_bounds(value: str, *, today: datetime.date) -> tuple:
    """(created after, created before) for an « Ancienneté » choice."""
    week, month = datetime.timedelta(days=7), datetime.timedelta(days=30)
    if value == "7":
        return today - week, None
    if value == "7-30":
        return today - month, today - week
    if value == "30":
        return None, today - month
    return None, None


def requests_of_account(account, *, own=None) -> list[ServiceRequest]:
    """« Suivi de mes demandes »: the account's requests, and those `own` adds (the login's
    without an account, see access.own_requests_filter), newest first."""
    mine = Q(authority_id=account.authority_id, account=account)
    return list(
        ServiceRequest.objects.filter(mine | own if own is not None else mine)
        .select_related("made_by_agent", "authority")
        .order_by("-created_at", "-pk")
    )


def thread_of(service_request) -> list[RequestMessage]:
    return list(
        RequestMessage.objects.filter(
            authority_id=service_request.authority_id, service_request=service_request
        ).select_related("author")
    )


def history_of(service_request) -> list[RequestStatusChange]:
    return list(
        RequestStatusChange.objects.filter(
            authority_id=service_request.authority_id, service_request=service_request
        ).select_related("changed_by")
    )


def queue_for_agent(*, authority, filters: dict, today):
    """The authority's requests, oldest first, narrowed by the queue's filters."""
    # An unconfirmed « J'emménage » is not the agents' yet: its email may be anyone's.
    requests = (
        ServiceRequest.objects.filter(authority=authority)
        .exclude(status=RequestStatus.UNCONFIRMED)
        .select_related("account", "commune")
    )
    status = filters.get("statut", OPEN)
    if status == OPEN:
        requests = requests.filter(status__in=OPEN_STATUSES)
    elif status:
        requests = requests.filter(status=status)
    if filters.get("type"):
        requests = requests.filter(kind=filters["type"])
    if filters.get("commune"):
        requests = requests.filter(commune__insee=filters["commune"])
    after, before = age_bounds(filters.get("anciennete", ""), today=today)
    if after:
        requests = requests.filter(created_at__date__gt=after)
    if before:
        requests = requests.filter(created_at__date__lte=before)
    return requests.order_by("created_at", "pk")


def communes_with_requests(authority) -> list[Commune]:
    communes = Commune.objects.filter(
        pk__in=ServiceRequest.objects.filter(authority=authority).values("commune_id")
    )
    return sorted(communes, key=lambda c: (sort_key_fr(c.name), c.insee))


@dataclass(frozen=True)
class QueueSummary:
    """The agents' dashboard: open requests per type, the oldest, the handling time."""

    rows: list[tuple[str, int, int, datetime.datetime]]  # title, pending, waiting, oldest
    oldest: ServiceRequest | None
    decided_30_days: int
    average_handling: datetime.timedelta | None


def queue_summary(authority, *, now: datetime.datetime) -> QueueSummary:
    """Three queries whatever the queue: counts per type and status, the oldest open
    request, and the requests decided over the last 30 days with their mean duration."""
    open_requests = ServiceRequest.objects.filter(authority=authority, status__in=OPEN_STATUSES)
    counts = (
        open_requests.values("kind")
        .annotate(
            pending=Count("pk", filter=Q(status=RequestStatus.PENDING)),
            waiting=Count("pk", filter=Q(status=RequestStatus.WAITING)),
            oldest=Min("created_at"),
        )
        .order_by("oldest")
    )
    rows = [
        (
            request_type_get(row["kind"]).tracking_label,
            row["pending"],
            row["waiting"],
            row["oldest"],
        )
        for row in counts
    ]
    oldest = open_requests.select_related("account").order_by("created_at", "pk").first()
    decided = ServiceRequest.objects.filter(
        authority=authority, decided_at__gte=now - datetime.timedelta(days=30)
    ).aggregate(n=Count("pk"), total=Sum(F("decided_at") - F("created_at")))
    average = decided["total"] / decided["n"] if decided["n"] and decided["total"] else None
    return QueueSummary(rows, oldest, decided["n"], average)


def open_request_of_kind(*, account, kind: str, subject: str = "") -> ServiceRequest | None:
    """The account's request of this type (and subject) that still waits, if any."""
    return (
        ServiceRequest.objects.filter(
            authority_id=account.authority_id,
            account=account,
            kind=kind,
            subject=subject,
            status__in=[RequestStatus.PENDING, RequestStatus.WAITING],
        )
        .order_by("-created_at")
        .first()
    )


def open_request_of_login(*, user, authority, kind: str) -> ServiceRequest | None:
    """A request without an account that the login made there and that still waits."""
    return (
        ServiceRequest.objects.filter(
            authority=authority,
            account__isnull=True,
            kind=kind,
            email=user.email,
            status__in=[RequestStatus.PENDING, RequestStatus.WAITING],
        )
        .order_by("-created_at")
        .first()
    )
