from django.db import models


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, verbose_name="date de création")
    updated_at = models.DateTimeField(auto_now=True, verbose_name="date de modification")

    class Meta:
        abstract = True


class UsedChallenge(models.Model):
    """An ALTCHA challenge already solved once (« Je ne suis pas un robot »): its signature
    is refused from then on, by every process and after a restart, until the challenge
    expires anyway."""

    signature = models.CharField(max_length=128, unique=True, verbose_name="signature")
    expires_at = models.DateTimeField(db_index=True, verbose_name="expire le")

    class Meta:
        verbose_name = "défi anti-robot utilisé"
        verbose_name_plural = "défis anti-robot utilisés"

    def __str__(self):
        return self.signature
