from django.conf import settings
from django.db import models
from django.utils import timezone


class ConnectionVia(models.TextChoices):
    SPACE = "space", "Espace usager"
    BACKOFFICE = "backoffice", "Back office"
    ADMIN = "admin", "Administration de la plateforme"


class Connection(models.Model):
    """One successful login: « Dernières connexions » of « Mon profil », kept
    PRIVACY_CONNECTION_DAYS days."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="connections",
        verbose_name="identifiant",
    )
    logged_in_at = models.DateTimeField("connexion le", default=timezone.now)
    ip_address = models.GenericIPAddressField("adresse IP", null=True, blank=True)
    user_agent = models.CharField("navigateur", max_length=200, blank=True)
    via = models.CharField("par", max_length=20, choices=ConnectionVia.choices)

    class Meta:
        verbose_name = "connexion"
        verbose_name_plural = "connexions"
        ordering = ["-logged_in_at", "-pk"]
        indexes = [
            models.Index(fields=["user", "-logged_in_at"], name="connection_user"),
            models.Index(fields=["logged_in_at"], name="connection_age"),
        ]

    def __str__(self):
        return f"{self.user_id} {self.logged_in_at:%Y-%m-%d %H:%M} ({self.via})"


class PurgeRun(models.Model):
    """The daily purge of `privacy_purge`: one row per day (the unique day is what makes a
    second run of the same day, in any process, a no-op), with what it removed."""

    day = models.DateField("jour", unique=True)
    started_at = models.DateTimeField("commencée le")
    finished_at = models.DateTimeField("terminée le", null=True, blank=True)
    counts = models.JSONField("éléments supprimés", default=dict, blank=True)

    class Meta:
        verbose_name = "purge des données personnelles"
        verbose_name_plural = "purges des données personnelles"
        ordering = ["-day"]

    def __str__(self):
        return f"{self.day:%Y-%m-%d}"
