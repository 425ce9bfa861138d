"""Reads of the integrations: an authority's keys and webhooks, a webhook's deliveries."""

from .models import ApiKey, WebhookDelivery, WebhookEndpoint


def api_keys_of(*, authority):
    return ApiKey.objects.filter(authority=authority).select_related("created_by")


def webhooks_of(*, authority):
    return WebhookEndpoint.objects.filter(authority=authority).select_related("created_by")


def deliveries_of(*, endpoint):
    return WebhookDelivery.objects.filter(
        authority_id=endpoint.authority_id, endpoint=endpoint
    ).order_by("-created_at", "-pk")


# --- What an authority's key reads through the API (always its own authority's) --------


def invoices_issued(*, authority, since=None):
    """The authority's issued invoices (numbered, never « à blanc »), from `since` (a day)."""
    from levee.billing.models import Invoice, InvoiceStatus

    found = (
        Invoice.objects.filter(authority=authority)
        .exclude(status=InvoiceStatus.SIMULATED)
        .exclude(number="")
        .select_related("account")
    )
    return found.filter(issued_on__gte=since) if since else found


def payments_confirmed(*, authority, since=None):
    """The authority's paid payments (online, recorded or imported), from `since` (aware)."""
    from levee.payments.models import Payment, PaymentStatus

    found = Payment.objects.filter(
        authority=authority,
        status__in=[PaymentStatus.PAID, PaymentStatus.DUPLICATE],
        paid_at__isnull=False,
    ).select_related("invoice", "account")
    return found.filter(paid_at__gte=since) if since else found


def requests_received(*, authority, since=None, status: str = ""):
    """The authority's requests the agents see (an unconfirmed one is not theirs yet)."""
    from levee.requests.models import RequestStatus, ServiceRequest

    found = (
        ServiceRequest.objects.filter(authority=authority)
        .exclude(status=RequestStatus.UNCONFIRMED)
        .select_related("account")
    )
    if since:
        found = found.filter(created_at__gte=since)
    return found.filter(status=status) if status else found
