"""Sending the webhooks' deliveries (the outbox `webhook_event_record` fills): claimed by
one worker at a time, POSTed as signed JSON, retried with a growing delay until the
receiver answers 2xx, and never sent again once delivered.

What a receiver gets (README « Webhooks »): a POST with the JSON body of the event and
the headers

- `X-Levee-Event`: the event (`payment.confirmed`…);
- `X-Levee-Delivery`: the event's id (a UUID), the same on every attempt of it;
- `X-Levee-Timestamp`: when this attempt was signed, in seconds since 1970 (UTC);
- `X-Levee-Signature`: `sha256=` and the hexadecimal HMAC-SHA256, keyed with the
  webhook's secret, of the timestamp, a dot and the body as sent
  (`f"{timestamp}.{body}"`).
"""

import hashlib
import hmac
import json
import logging
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import timedelta

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from levee.lib.tasks import retry_delay

from .models import DeliveryStatus, WebhookDelivery
from .services import address_problem, webhook_url_problem

logger = logging.getLogger(__name__)

# A claim older than this belongs to a worker that died mid-send (far above the timeout).
CLAIM_TIMEOUT = timedelta(minutes=10)
# After this many failed attempts (about three days with the growing delay, capped at six
# hours) a delivery is « Abandonné »: its receiver is gone or refuses it for good.
MAX_ATTEMPTS = 20
EXCERPT_LENGTH = 500
USER_AGENT = "Levee-Webhooks/1"


def webhook_body(payload: dict) -> bytes:
    """The body as sent (and signed): compact JSON in UTF-8."""
    return json.dumps(
        payload, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":")
    ).encode()


def webhook_signature(*, secret: str, timestamp: int, body: bytes) -> str:
    """`X-Levee-Signature`: HMAC-SHA256(secret, f"{timestamp}.{body}"), in hexadecimal."""
    message = f"{timestamp}.".encode() + body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer other than 2xx: the delivery is retried at the same URL,
    never followed to another host."""

    def redirect_request(self, *args, **kwargs):
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def _resolved_problem(url: str) -> str | None:
    """Why the host of `url` may not be reached now (it resolves inside: a private network,
    the machine itself), or None; a name that does not resolve is left to the request's own
    error."""
    parts = urllib.parse.urlsplit(url)
    try:
        found = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return None
    for *_, address in found:
        problem = address_problem(address[0].split("%")[0])
        if problem:
            return problem
    return None


def _post(url: str, *, body: bytes, headers: dict) -> tuple[int, str]:
    """(HTTP status, the start of the answer); raises OSError when nothing answered."""
    # The URL passed webhook_url_problem: http or https only, never file: or another scheme.
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    try:
        with _OPENER.open(request, timeout=settings.WEBHOOK_TIMEOUT) as response:
            return response.status, response.read(EXCERPT_LENGTH).decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read(EXCERPT_LENGTH).decode("utf-8", "replace")


def webhook_claim(*, limit: int = 100) -> list[int]:
    """Takes the due deliveries of active endpoints for this worker: locked rows are
    skipped (another worker holds them), and each row is claimed by a conditional update
    (PENDING → SENDING), so that two workers, even on SQLite, never send one twice."""
    now = timezone.now()
    with transaction.atomic():
        due = list(
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(
                status=DeliveryStatus.PENDING,
                next_attempt_at__lte=now,
                endpoint__disabled_at__isnull=True,
            )
            .order_by("next_attempt_at", "pk")
            .values_list("pk", flat=True)[:limit]
        )
        claimed = []
        for pk in due:
            if WebhookDelivery.objects.filter(pk=pk, status=DeliveryStatus.PENDING).update(
                status=DeliveryStatus.SENDING,
                claimed_at=now,
                attempts=F("attempts") + 1,
                updated_at=now,
            ):
                claimed.append(pk)
    return claimed


def webhook_send(*, delivery_id: int) -> bool:
    """Sends one claimed delivery (SENDING) and records the answer; True when delivered."""
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    endpoint = delivery.endpoint
    body = webhook_body(delivery.payload)
    timestamp = int(time.time())
    code, excerpt, error = None, "", ""
    # The settings may have changed since, and a name may resolve inside now.
    problem = webhook_url_problem(endpoint.url) or _resolved_problem(endpoint.url)
    if problem:
        error = problem
    else:
        try:
            code, excerpt = _post(
                endpoint.url,
                body=body,
                headers={
                    "Content-Type": "application/json; charset=utf-8",
                    "User-Agent": USER_AGENT,
                    "X-Levee-Event": delivery.event,
                    "X-Levee-Delivery": str(delivery.event_id),
                    "X-Levee-Timestamp": str(timestamp),
                    "X-Levee-Signature": webhook_signature(
                        secret=endpoint.secret, timestamp=timestamp, body=body
                    ),
                },
            )
        except (OSError, ValueError) as exc:  # refused, unreachable, timed out
            error = _error_text(exc)
    now = timezone.now()
    claimed = WebhookDelivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.SENDING)
    if code is not None and 200 <= code < 300:
        claimed.update(
            status=DeliveryStatus.DELIVERED,
            delivered_at=now,
            claimed_at=None,
            response_code=code,
            response_excerpt=excerpt,
            last_error="",
            updated_at=now,
        )
        return True
    if code is not None:
        error = f"Le destinataire a répondu HTTP {code}."
    given_up = delivery.attempts >= MAX_ATTEMPTS
    logger.warning(
        "webhook delivery %s failed (attempt %s): %s", delivery.pk, delivery.attempts, error
    )
    claimed.update(
        status=DeliveryStatus.ABANDONED if given_up else DeliveryStatus.PENDING,
        claimed_at=None,
        response_code=code,
        response_excerpt=excerpt,
        last_error=error[:2000],
        next_attempt_at=now + retry_delay(delivery.attempts),
        updated_at=now,
    )
    return False


def _error_text(exc: Exception) -> str:
    reason = getattr(exc, "reason", exc)
    if isinstance(reason, TimeoutError) or "timed out" in str(reason):
        return f"Pas de réponse en {settings.WEBHOOK_TIMEOUT:g} secondes."
    return f"Destinataire injoignable : {reason}"


def webhook_release_stale_claims() -> int:
    """Puts back to PENDING the deliveries claimed by a worker that died mid-send."""
    return WebhookDelivery.objects.filter(
        status=DeliveryStatus.SENDING, claimed_at__lt=timezone.now() - CLAIM_TIMEOUT
    ).update(status=DeliveryStatus.PENDING, claimed_at=None)


def webhook_sweep(*, limit: int = 100) -> int:
    """The periodic job: sends what is due, returns how many were delivered now."""
    webhook_release_stale_claims()
    return sum(webhook_send(delivery_id=pk) for pk in webhook_claim(limit=limit))
