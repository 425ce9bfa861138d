"""The back office's access to an authority's keys and webhooks: only its own."""

from django.shortcuts import get_object_or_404

from .models import ApiKey, WebhookEndpoint


def get_api_key_for_agent(request, pk: int) -> ApiKey:
    return get_object_or_404(
        ApiKey.objects.filter(authority=request.agent.authority).select_related("authority"),
        pk=pk,
    )


def get_webhook_for_agent(request, pk: int) -> WebhookEndpoint:
    return get_object_or_404(
        WebhookEndpoint.objects.filter(authority=request.agent.authority).select_related(
            "authority"
        ),
        pk=pk,
    )
