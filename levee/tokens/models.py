"""A personal access token (« Jeton d'accès personnel »): a secret that a resident gives
to his own scripts so that they read, through the API, what his login reaches.

Only the SHA-256 of the secret is kept: the secret is shown once, when it is created, and
cannot be read again, by anyone. The secret has 256 bits of entropy, so a fast hash is
enough (there is nothing to guess, unlike a password); and it is what lets every API call
find its token with one indexed lookup."""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from levee.lib.models import TimeStampedModel


class TokenScope(models.TextChoices):
    READ = "read", "Lecture seule"


class PersonalAccessToken(TimeStampedModel):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="access_tokens",
        verbose_name="identifiant",
    )
    name = models.CharField("nom", max_length=80)
    # The secret's first characters, shown in « Mon profil » so its owner tells his tokens
    # apart; not enough to use it.
    prefix = models.CharField("début du jeton", max_length=16)
    digest = models.CharField("empreinte (SHA-256)", max_length=64, unique=True)
    scope = models.CharField(
        "portée", max_length=10, choices=TokenScope.choices, default=TokenScope.READ
    )
    expires_at = models.DateTimeField("expire le", null=True, blank=True)
    last_used_at = models.DateTimeField("dernière utilisation", null=True, blank=True)
    revoked_at = models.DateTimeField("révoqué le", null=True, blank=True)

    class Meta:
        verbose_name = "jeton d'accès personnel"
        verbose_name_plural = "jetons d'accès personnels"
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "-created_at"], name="token_user")]
        constraints = [
            models.CheckConstraint(condition=~Q(name=""), name="token_has_name"),
        ]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    def is_usable(self, now) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def last_valid_day(self):
        """The last day it works, in Paris time (it expires at the end of that day)."""
        if self.expires_at is None:
            return None
        return timezone.localtime(self.expires_at - datetime.timedelta(microseconds=1)).date()
