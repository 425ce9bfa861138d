"""Reads of the demandes: a resident's « Suivi », a request's thread and history, the
agents' work queue."""

from django.db.models import Count

from levee.authorities.models import Commune

from .forms import OPEN, age_bounds
from .models import (
    OPEN_STATUSES,
    RequestMessage,
    RequestStatus,
    RequestStatusChange,
    ServiceRequest,
)


def requests_of_account(account) -> list[ServiceRequest]:
    """« Suivi de mes demandes »: newest first."""
    return list(
        ServiceRequest.objects.filter(authority_id=account.authority_id, account=account).order_by(
            "-created_at", "-pk"
        )
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
    requests = ServiceRequest.objects.filter(authority=authority).select_related(
        "account", "commune"
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
    return list(
        Commune.objects.filter(
            pk__in=ServiceRequest.objects.filter(authority=authority).values("commune_id")
        ).order_by("name")
    )


def pending_counts(authority) -> dict[str, int]:
    """Open requests per type key, for the dashboard."""
    rows = (
        ServiceRequest.objects.filter(authority=authority, status=RequestStatus.PENDING)
        .values("kind")
        .annotate(n=Count("pk"))
    )
    return {row["kind"]: row["n"] for row in rows}
