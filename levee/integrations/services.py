"""Writes of the integrations: API keys (created, revoked, checked at each call) and
webhooks (registered, disabled, and the events recorded for them in the transaction of
the change that makes them: `webhook_event_record`). Sending: `webhooks.py`."""

import hashlib
import hmac
import ipaddress
import secrets
import uuid
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from levee.audit.services import audit_write

from .models import ApiKey, Scope, WebhookDelivery, WebhookEndpoint, WebhookEvent

KEY_START = "lvk_"
WEBHOOK_SECRET_START = "whsec_"
# last_used_at is written at most once a minute per key: not one write per call.
LAST_USE_PRECISION = timedelta(minutes=1)


class IntegrationRefused(Exception):
    """A value the service refuses; the message is French, for the administrator."""


def key_hash(raw: str) -> str:
    """The SHA-256 of a whole key: a key is 190 random bits, a fast hash is enough."""
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def api_key_create(
    *,
    authority,
    name: str,
    scopes: list[str],
    created_by,
    expires_at: datetime | None = None,
) -> tuple[ApiKey, str]:
    """« Créer la clé »: returns the key and its whole text, shown once (only its prefix
    and its hash are kept). Audited `api_key.create`."""
    name = name.strip()
    if not name:
        raise IntegrationRefused("Indiquez le nom de la clé.")
    unknown = [s for s in scopes if s not in Scope.values]
    if unknown or not scopes:
        raise IntegrationRefused("Choisissez au moins un droit parmi ceux proposés.")
    if expires_at is not None and expires_at <= timezone.now():
        raise IntegrationRefused("La date d'expiration doit être dans le futur.")
    prefix = secrets.token_hex(4)
    while ApiKey.objects.filter(prefix=prefix).exists():
        prefix = secrets.token_hex(4)
    raw = f"{KEY_START}{prefix}_{secrets.token_urlsafe(24)}"
    key = ApiKey.objects.create(
        authority=authority,
        name=name,
        prefix=prefix,
        secret_hash=key_hash(raw),
        scopes=[s for s in Scope.values if s in scopes],
        created_by=created_by,
        expires_at=expires_at,
    )
    audit_write(
        authority=authority,
        actor=created_by,
        action="api_key.create",
        obj=key,
        after={
            "name": key.name,
            "scopes": key.scopes,
            "expires_at": expires_at.isoformat() if expires_at else None,
        },
    )
    return key, raw


@transaction.atomic
def api_key_revoke(*, key: ApiKey, by) -> bool:
    """« Révoquer »: the key is refused from now on. False when it was already revoked."""
    now = timezone.now()
    revoked = ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(
        revoked_at=now, updated_at=now
    )
    if revoked:
        audit_write(
            authority=key.authority,
            actor=by,
            action="api_key.revoke",
            obj=key,
            before={"name": key.name},
        )
    return bool(revoked)


class KeyRefused(Exception):
    """Why a presented key is refused: `code` is the API's error code."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def api_key_check(raw: str) -> ApiKey:
    """The active key whose whole text is `raw` (its last use noted), or KeyRefused."""
    start, _, rest = raw.partition(KEY_START)
    prefix, _, secret = rest.partition("_")
    if start or not prefix or not secret:
        raise KeyRefused("invalid_key", "Clé d'API invalide.")
    key = ApiKey.objects.select_related("authority", "created_by").filter(prefix=prefix).first()
    if key is None or not hmac.compare_digest(key.secret_hash, key_hash(raw)):
        raise KeyRefused("invalid_key", "Clé d'API invalide.")
    if key.revoked_at is not None:
        raise KeyRefused("key_revoked", "Cette clé d'API a été révoquée.")
    if key.is_expired:
        raise KeyRefused("key_expired", "Cette clé d'API a expiré.")
    now = timezone.now()
    ApiKey.objects.filter(pk=key.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USE_PRECISION)
    ).update(last_used_at=now)
    return key


INTERNAL_ADDRESS = (
    "Cette adresse mène à un réseau interne : indiquez celle d'un serveur joignable par Internet."
)
HTTPS_ONLY = "L'adresse doit commencer par https:// : les événements ne circulent que chiffrés."


def address_problem(address: str) -> str | None:
    """Why Levée may not send a webhook to this IP address, or None: the machine itself
    (unless WEBHOOK_ALLOW_LOOPBACK_HTTP), or a private, link-local, reserved network (a
    webhook must never let an authority reach the servers behind the portal)."""
    ip = ipaddress.ip_address(address)
    if ip.is_loopback:
        return None if settings.WEBHOOK_ALLOW_LOOPBACK_HTTP else INTERNAL_ADDRESS
    if ip.is_private or ip.is_link_local or ip.is_reserved or ip.is_multicast or ip.is_unspecified:
        return INTERNAL_ADDRESS
    return None


def webhook_url_problem(url: str) -> str | None:
    """Why a webhook URL is refused, in French, or None: https only, to a public address;
    plain http and the machine itself (127.0.0.1, ::1, localhost) only when the settings
    allow it (WEBHOOK_ALLOW_LOOPBACK_HTTP: the embedded demo and the tests). A host name is
    resolved when a delivery is sent (webhooks.py), and refused there if it leads inside."""
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        return "Saisissez une adresse web complète, commençant par https://."
    parts = urlsplit(url)
    if parts.username or parts.password:
        return "L'adresse ne doit pas contenir d'identifiant ni de mot de passe."
    host = parts.hostname or ""
    if host == "localhost":
        return None if settings.WEBHOOK_ALLOW_LOOPBACK_HTTP else INTERNAL_ADDRESS
    try:
        problem = address_problem(host)
    except ValueError:  # a host name, not an address
        problem = None
    else:
        if problem is None and ipaddress.ip_address(host).is_loopback:
            return None  # allowed, in http too
    if problem:
        return problem
    return None if parts.scheme == "https" else HTTPS_ONLY


@transaction.atomic
def webhook_endpoint_create(
    *, authority, url: str, events: list[str], created_by
) -> tuple[WebhookEndpoint, str]:
    """« Enregistrer le webhook »: returns the endpoint and its signing secret, shown once.
    Audited `webhook.create`."""
    url = url.strip()
    problem = webhook_url_problem(url)
    if problem:
        raise IntegrationRefused(problem)
    if not events or any(e not in WebhookEvent.values for e in events):
        raise IntegrationRefused("Choisissez au moins un événement parmi ceux proposés.")
    secret = WEBHOOK_SECRET_START + secrets.token_urlsafe(32)
    endpoint = WebhookEndpoint.objects.create(
        authority=authority,
        url=url,
        events=[e for e in WebhookEvent.values if e in events],
        secret=secret,
        created_by=created_by,
    )
    audit_write(
        authority=authority,
        actor=created_by,
        action="webhook.create",
        obj=endpoint,
        after={"url": endpoint.url, "events": endpoint.events},
    )
    return endpoint, secret


@transaction.atomic
def webhook_endpoint_disable(*, endpoint: WebhookEndpoint, by) -> bool:
    """« Désactiver »: no event is recorded for it any more, and what waits is not sent."""
    now = timezone.now()
    disabled = WebhookEndpoint.objects.filter(pk=endpoint.pk, disabled_at__isnull=True).update(
        disabled_at=now, updated_at=now
    )
    if disabled:
        audit_write(
            authority=endpoint.authority,
            actor=by,
            action="webhook.disable",
            obj=endpoint,
            before={"url": endpoint.url},
        )
    return bool(disabled)


def webhook_event_record(
    *, authority, event: str, payload: dict, event_id: uuid.UUID | None = None
) -> list[WebhookDelivery]:
    """Records `event` for every active endpoint of `authority` that chose it. Call it in
    the transaction of the change: the deliveries exist if and only if the change does;
    `manage.py periodic` sends them. One event id per event: the receiver's key to never
    act twice, and ours (unique per endpoint) to never store it twice."""
    assert event in WebhookEvent.values, event
    authority_id = getattr(authority, "pk", authority)
    endpoints = [
        e
        for e in WebhookEndpoint.objects.filter(authority_id=authority_id, disabled_at__isnull=True)
        if event in e.events
    ]
    if not endpoints:
        return []
    event_id = event_id or uuid.uuid4()
    now = timezone.now()
    body = {
        "id": str(event_id),
        "event": event,
        "created_at": now.isoformat(),
        "authority": authority_id,
        "data": payload,
    }
    return WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(
                authority_id=authority_id,
                endpoint=endpoint,
                event=event,
                event_id=event_id,
                payload=body,
                next_attempt_at=now,
            )
            for endpoint in endpoints
        ],
        ignore_conflicts=True,
    )
