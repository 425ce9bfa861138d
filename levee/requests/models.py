"""Demandes (flows 10 and 11): a resident asks, an agent accepts, refuses or asks for more.
What a request asks and how it applies belong to its type, declared in `registry.py`."""

from django.db import models

from levee.lib.models import TimeStampedModel
from levee.lib.storage import private_storage


class RequestStatus(models.TextChoices):
    PENDING = "pending", "EN COURS"
    ACCEPTED = "accepted", "ACCEPTÉ"
    REFUSED = "refused", "REFUSÉ"
    WAITING = "waiting", "EN ATTENTE DE COMPLÉMENT"


# An agent may decide a request in either of these; the resident answers only WAITING.
OPEN_STATUSES = (RequestStatus.PENDING, RequestStatus.WAITING)


class ServiceRequest(TimeStampedModel):
    """One demande of an account: what was asked (`requested`), the values it would change as
    they were when asked (`snapshot`), and the decision."""

    authority = models.ForeignKey("authorities.Authority", on_delete=models.PROTECT)
    account = models.ForeignKey(
        "subscribers.Account", on_delete=models.CASCADE, related_name="service_requests"
    )
    # The dwelling's commune when asked: the agents' queue filters on it.
    commune = models.ForeignKey(
        "authorities.Commune", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    requested_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, related_name="service_requests"
    )
    kind = models.CharField("type de demande", max_length=40)
    status = models.CharField(
        "statut", max_length=20, choices=RequestStatus.choices, default=RequestStatus.PENDING
    )
    requested = models.JSONField("valeurs demandées", default=dict)
    snapshot = models.JSONField("valeurs au moment de la demande", default=dict)
    # What happened after acceptance that the resident must still do (a new email to
    # confirm), and when he did it.
    outcome = models.JSONField(default=dict, blank=True)
    decided_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField("traitée le", null=True, blank=True)
    refusal_reason = models.TextField("motif du refus", blank=True)

    class Meta:
        verbose_name = "demande"
        indexes = [
            models.Index(fields=["authority", "status", "created_at"], name="request_queue"),
            models.Index(fields=["account", "created_at"], name="request_account"),
        ]
        constraints = [
            # One open request of a kind per account: a double click, or a second request
            # while the first waits, would ask the agents twice for the same change.
            models.UniqueConstraint(
                fields=["account", "kind"],
                condition=models.Q(status__in=["pending", "waiting"]),
                name="one_open_request_per_kind",
            ),
        ]

    def __str__(self):
        return f"{self.kind} {self.account_id} ({self.get_status_display()})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def request_type(self):
        from .registry import request_type_get

        return request_type_get(self.kind)


class Author(models.TextChoices):
    RESIDENT = "resident", "Usager"
    AGENT = "agent", "Agent"


class RequestMessage(models.Model):
    """A message of a request's thread, from the resident or an agent, with an optional
    attachment kept in the private storage."""

    authority = models.ForeignKey("authorities.Authority", on_delete=models.PROTECT)
    service_request = models.ForeignKey(
        ServiceRequest, on_delete=models.CASCADE, related_name="messages"
    )
    author = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    author_role = models.CharField(max_length=10, choices=Author.choices)
    body = models.TextField("message")
    attachment = models.FileField(
        "pièce jointe", storage=private_storage, upload_to="requests/%Y/%m/", blank=True
    )
    attachment_content_type = models.CharField(max_length=50, blank=True)
    attachment_name = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "message d'une demande"
        verbose_name_plural = "messages des demandes"
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.get_author_role_display()} {self.created_at:%Y-%m-%d %H:%M}"


class RequestStatusChange(models.Model):
    """One line of a request's history: from, to, by whom, when, and why."""

    authority = models.ForeignKey("authorities.Authority", on_delete=models.PROTECT)
    service_request = models.ForeignKey(
        ServiceRequest, on_delete=models.CASCADE, related_name="status_changes"
    )
    from_status = models.CharField(max_length=20, choices=RequestStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=RequestStatus.choices)
    changed_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    by_agent = models.BooleanField(default=False)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "changement de statut"
        verbose_name_plural = "historique des statuts"
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.from_status or '—'} → {self.to_status}"
