"""Demandes (flows 10 to 13): a resident asks, an agent accepts, refuses or asks for more.
What a request asks and how it applies belong to its type, declared in `registry.py`."""

from django.db import models

from levee.lib.models import TimeStampedModel
from levee.lib.storage import private_storage


class RequestStatus(models.TextChoices):
    # Made without a login (« J'emménage »): it reaches the agents once the link mailed to
    # the address typed is followed.
    UNCONFIRMED = "unconfirmed", "EMAIL À CONFIRMER"
    PENDING = "pending", "EN COURS"
    ACCEPTED = "accepted", "ACCEPTÉ"
    REFUSED = "refused", "REFUSÉ"
    WAITING = "waiting", "EN ATTENTE DE COMPLÉMENT"


# An agent may decide a request in either of these; the resident answers only WAITING.
OPEN_STATUSES = (RequestStatus.PENDING, RequestStatus.WAITING)
# What the agents' queue may show: an unconfirmed request is not theirs yet.
# The agents' queue's default filter: what is still to handle (en cours or en attente).
OPEN = "ouvertes"
QUEUE_STATUSES = [s for s in RequestStatus if s != RequestStatus.UNCONFIRMED]


class ServiceRequest(TimeStampedModel):
    """One demande of an account: what was asked (`requested`), the values it would change as
    they were when asked (`snapshot`), and the decision.

    Two types have no account when asked: « J'emménage » (a newcomer, without a login either:
    `email` is where he is written to) and the request of a clé d'activation (a login that
    does not know which account is his); acceptance of the first sets the account created."""

    authority = models.ForeignKey(
        "authorities.Authority", on_delete=models.PROTECT, verbose_name="collectivité"
    )
    account = models.ForeignKey(
        "subscribers.Account",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="service_requests",
        verbose_name="compte usager",
    )
    # The dwelling's commune when asked: the agents' queue filters on it.
    commune = models.ForeignKey(
        "authorities.Commune",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="commune",
    )
    requested_by = models.ForeignKey(
        "accounts.User",
        on_delete=models.SET_NULL,
        null=True,
        related_name="service_requests",
        verbose_name="demandé par",
    )
    # The agent who made it at the counter, acting on the resident's behalf (then
    # `requested_by` is empty: no login of the resident asked). PROTECT, as the audit log's
    # actor: who made a request for someone else is never forgotten.
    made_by_agent = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="faite au guichet par",
    )
    kind = models.CharField("type de demande", max_length=40)
    # What the request is about within its type, when an account may have several open at
    # once (the lift contested, the bin to repair); empty otherwise.
    subject = models.CharField("objet", max_length=40, blank=True, default="")
    # The address of a request without a login (« J'emménage »), or the login's when asked.
    email = models.EmailField("email du demandeur", blank=True)
    status = models.CharField(
        "statut", max_length=20, choices=RequestStatus.choices, default=RequestStatus.PENDING
    )
    requested = models.JSONField("valeurs demandées", default=dict)
    snapshot = models.JSONField("valeurs au moment de la demande", default=dict)
    # What happened after acceptance that the resident must still do (a new email to
    # confirm), and when he did it.
    outcome = models.JSONField(default=dict, blank=True, verbose_name="résultat")
    decided_by = models.ForeignKey(
        "accounts.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="décidé par",
    )
    decided_at = models.DateTimeField("traitée le", null=True, blank=True)
    refusal_reason = models.TextField("motif du refus", blank=True)

    class Meta:
        verbose_name = "demande"
        verbose_name_plural = "demandes"
        indexes = [
            models.Index(fields=["authority", "status", "created_at"], name="request_queue"),
            models.Index(fields=["account", "created_at"], name="request_account"),
        ]
        constraints = [
            # One open request of a kind (and subject) per account: a double click, or a
            # second request while the first waits, would ask the agents twice for the same.
            models.UniqueConstraint(
                fields=["account", "kind", "subject"],
                condition=models.Q(status__in=["pending", "waiting"]),
                name="one_open_request_per_kind_and_subject",
            ),
            # The same without an account: one open per address and authority.
            models.UniqueConstraint(
                fields=["authority", "kind", "email"],
                condition=models.Q(
                    account__isnull=True, status__in=["unconfirmed", "pending", "waiting"]
                )
                & ~models.Q(email=""),
                name="one_open_request_without_account",
            ),
        ]

    def __str__(self):
        return f"{self.kind} {self.account_id or self.email} ({self.get_status_display()})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def counter_mention(self) -> str:
        """« Demande faite au guichet par Jeanne LEROY » when an agent made it for the
        resident, else ""; the agent's email is never shown to the resident."""
        agent = self.made_by_agent
        if agent is None:
            return ""
        name = " ".join(p for p in (agent.first_name, agent.last_name.upper()) if p)
        return f"Demande faite au guichet par {name or 'un agent de la collectivité'}"

    @property
    def request_type(self):
        from .registry import request_type_get

        return request_type_get(self.kind)

    @property
    def status_label(self) -> str:
        """The status as people read it: « ACCEPTÉ », or the type's word for it (« TRAITÉ »
        for a message)."""
        if self.status == RequestStatus.ACCEPTED and self.request_type.accepted_label:
            return self.request_type.accepted_label
        return self.get_status_display()

    @property
    def applicant_name(self) -> str:
        """Who asks, for the agents: the account's holder, else the name typed."""
        if self.account_id:
            return self.account.holder_name
        requested = self.requested
        return " ".join(
            p for p in (requested.get("last_name", ""), requested.get("first_name", "")) if p
        )


class Author(models.TextChoices):
    RESIDENT = "resident", "Usager"
    AGENT = "agent", "Agent"


class RequestMessage(models.Model):
    """A message of a request's thread, from the resident or an agent, with an optional
    attachment kept in the private storage."""

    authority = models.ForeignKey(
        "authorities.Authority", on_delete=models.PROTECT, verbose_name="collectivité"
    )
    service_request = models.ForeignKey(
        ServiceRequest, on_delete=models.CASCADE, related_name="messages", verbose_name="demande"
    )
    author = models.ForeignKey(
        "accounts.User",
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name="auteur",
    )
    author_role = models.CharField(
        max_length=10, choices=Author.choices, verbose_name="rôle de l'auteur"
    )
    body = models.TextField("message")
    attachment = models.FileField(
        "pièce jointe", storage=private_storage, upload_to="requests/%Y/%m/", blank=True
    )
    attachment_content_type = models.CharField(
        max_length=50, blank=True, verbose_name="type de la pièce jointe"
    )
    attachment_name = models.CharField(
        max_length=200, blank=True, verbose_name="nom de la pièce jointe"
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name="date de création")

    class Meta:
        verbose_name = "message d'une demande"
        verbose_name_plural = "messages des demandes"
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.get_author_role_display()} {self.created_at:%Y-%m-%d %H:%M}"


class RequestStatusChange(models.Model):
    """One line of a request's history: from, to, by whom, when, and why."""

    authority = models.ForeignKey(
        "authorities.Authority", on_delete=models.PROTECT, verbose_name="collectivité"
    )
    service_request = models.ForeignKey(
        ServiceRequest,
        on_delete=models.CASCADE,
        related_name="status_changes",
        verbose_name="demande",
    )
    from_status = models.CharField(
        max_length=20, choices=RequestStatus.choices, blank=True, verbose_name="ancien statut"
    )
    to_status = models.CharField(
        max_length=20, choices=RequestStatus.choices, verbose_name="nouveau statut"
    )
    changed_by = models.ForeignKey(
        "accounts.User",
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name="changé par",
    )
    by_agent = models.BooleanField(default=False, verbose_name="par un agent")
    note = models.TextField(blank=True, verbose_name="note")
    created_at = models.DateTimeField(auto_now_add=True, verbose_name="date de création")

    class Meta:
        verbose_name = "changement de statut"
        verbose_name_plural = "historique des statuts"
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.from_status or '—'} → {self.to_status}"
