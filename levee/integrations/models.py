"""API keys of an authority's software, and the webhooks it is told events by."""

import datetime

from django.db import models
from django.utils import timezone

from levee.lib.models import TimeStampedModel


class Scope(models.TextChoices):
    """What a key may do: one scope per family of endpoints (never rename a value: keys
    hold them)."""

    LIFTS_WRITE = "lifts:write", "Envoyer des levées"
    DROPOFFS_WRITE = "dropoffs:write", "Envoyer des apports"
    SUBSCRIBERS_WRITE = "subscribers:write", "Mettre à jour les abonnés et leurs bacs"
    INVOICES_READ = "invoices:read", "Lire les factures"
    PAYMENTS_READ = "payments:read", "Lire les règlements"
    REQUESTS_READ = "requests:read", "Lire les demandes"


class ApiKey(TimeStampedModel):
    """« Clé d'API »: created by an « Administrateur » for one authority, shown once; only
    its prefix (to find it) and the SHA-256 of the whole key are kept."""

    authority = models.ForeignKey(
        "authorities.Authority", on_delete=models.PROTECT, verbose_name="collectivité"
    )
    name = models.CharField(max_length=100, verbose_name="nom")
    prefix = models.CharField(max_length=16, unique=True, verbose_name="préfixe")
    secret_hash = models.CharField(max_length=64, verbose_name="empreinte")
    scopes = models.JSONField(default=list, verbose_name="droits")
    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", verbose_name="créée par"
    )
    expires_at = models.DateTimeField(null=True, blank=True, verbose_name="expire le")
    last_used_at = models.DateTimeField(null=True, blank=True, verbose_name="dernière utilisation")
    revoked_at = models.DateTimeField(null=True, blank=True, verbose_name="révoquée le")

    class Meta:
        verbose_name = "clé d'API"
        verbose_name_plural = "clés d'API"
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"Clé API {self.name}"

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def last_valid_day(self):
        """The last day it works, in Paris time (it expires at the end of that day), as a
        personal access token's."""
        if self.expires_at is None:
            return None
        return timezone.localtime(self.expires_at - datetime.timedelta(microseconds=1)).date()

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and not self.is_expired

    @staticmethod
    def scope_choices() -> list[tuple[str, str]]:
        return Scope.choices

    def scope_labels(self) -> list[str]:
        return [Scope(s).label for s in self.scopes if s in Scope.values]


class WebhookEvent(models.TextChoices):
    """The events an endpoint may be told (never rename a value: endpoints and deliveries
    hold them, and receivers read them in `X-Levee-Event`)."""

    REQUEST_CREATED = "request.created", "Demande créée"
    REQUEST_STATUS_CHANGED = "request.status_changed", "Statut d'une demande modifié"
    PAYMENT_CONFIRMED = "payment.confirmed", "Règlement confirmé"
    ACCOUNT_OPENED = "account.opened", "Compte usager ouvert"
    IMPORT_FINISHED = "import.finished", "Import terminé"


class WebhookEndpoint(TimeStampedModel):
    """« Webhook »: a URL of the authority's software told the events it chose, each
    delivery signed with the endpoint's secret (shown once, kept to sign)."""

    authority = models.ForeignKey(
        "authorities.Authority", on_delete=models.PROTECT, verbose_name="collectivité"
    )
    url = models.URLField(max_length=500, verbose_name="adresse (URL)")
    events = models.JSONField(default=list, verbose_name="événements")
    secret = models.CharField(max_length=64, verbose_name="secret")
    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", verbose_name="créé par"
    )
    disabled_at = models.DateTimeField(null=True, blank=True, verbose_name="désactivé le")

    class Meta:
        verbose_name = "webhook"
        verbose_name_plural = "webhooks"
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return self.url

    @staticmethod
    def event_choices() -> list[tuple[str, str]]:
        return WebhookEvent.choices

    def event_labels(self) -> list[str]:
        return [WebhookEvent(e).label for e in self.events if e in WebhookEvent.values]


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "À envoyer"
    SENDING = "sending", "En cours d'envoi"
    DELIVERED = "delivered", "Livré"
    ABANDONED = "abandoned", "Abandonné"


class WebhookDelivery(TimeStampedModel):
    """One event for one endpoint: stored in the transaction of the change (outbox), sent
    by `manage.py periodic` until the receiver answers 2xx; once per event id."""

    authority = models.ForeignKey(
        "authorities.Authority", on_delete=models.PROTECT, verbose_name="collectivité"
    )
    endpoint = models.ForeignKey(
        WebhookEndpoint,
        on_delete=models.CASCADE,
        related_name="deliveries",
        verbose_name="webhook",
    )
    event = models.CharField(max_length=40, choices=WebhookEvent.choices, verbose_name="événement")
    event_id = models.UUIDField(verbose_name="identifiant de l'événement")
    payload = models.JSONField(default=dict, verbose_name="contenu")
    status = models.CharField(
        max_length=10,
        choices=DeliveryStatus.choices,
        default=DeliveryStatus.PENDING,
        verbose_name="statut",
    )
    attempts = models.PositiveIntegerField(default=0, verbose_name="tentatives")
    next_attempt_at = models.DateTimeField(
        default=timezone.now, verbose_name="prochaine tentative le"
    )
    claimed_at = models.DateTimeField(null=True, blank=True, verbose_name="pris en charge le")
    response_code = models.PositiveSmallIntegerField(
        null=True, blank=True, verbose_name="code de réponse"
    )
    response_excerpt = models.TextField(blank=True, verbose_name="début de la réponse")
    last_error = models.TextField(blank=True, verbose_name="dernière erreur")
    delivered_at = models.DateTimeField(null=True, blank=True, verbose_name="livré le")

    class Meta:
        verbose_name = "envoi de webhook"
        verbose_name_plural = "envois de webhooks"
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "event_id"], name="integrations_one_delivery_per_event"
            )
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self):
        return f"{self.event} → {self.endpoint_id}"
