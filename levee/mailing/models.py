from django.db import models

from levee.lib.models import TimeStampedModel


class OutboxStatus(models.TextChoices):
    PENDING = "pending", "À envoyer"
    SENDING = "sending", "En cours d'envoi"
    SENT = "sent", "Envoyé"


class OutboxMessage(TimeStampedModel):
    """An email stored with the change that causes it, delivered later (transactional outbox)."""

    authority = models.ForeignKey(
        "authorities.Authority",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        verbose_name="collectivité",
    )
    to = models.EmailField(verbose_name="destinataire")
    subject = models.CharField(max_length=255, verbose_name="objet")
    body_text = models.TextField(verbose_name="texte")
    body_html = models.TextField(verbose_name="texte HTML")
    template = models.CharField(max_length=100, verbose_name="gabarit")
    status = models.CharField(
        max_length=10,
        choices=OutboxStatus.choices,
        default=OutboxStatus.PENDING,
        verbose_name="statut",
    )
    attempts = models.PositiveIntegerField(default=0, verbose_name="tentatives")
    last_error = models.TextField(blank=True, verbose_name="dernière erreur")
    next_attempt_at = models.DateTimeField(
        null=True, blank=True, verbose_name="prochaine tentative le"
    )
    claimed_at = models.DateTimeField(null=True, blank=True, verbose_name="pris en charge le")
    sent_at = models.DateTimeField(null=True, blank=True, verbose_name="envoyé le")

    class Meta:
        verbose_name = "message sortant"
        verbose_name_plural = "messages sortants"
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self):
        return f"{self.to}: {self.subject}"
