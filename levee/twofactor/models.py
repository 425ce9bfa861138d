from django.db import models

from levee.lib.models import TimeStampedModel


class SpaceSecondFactor(TimeStampedModel):
    """A resident who turned the second factor on in « Mon profil »: his space asks for a
    code at each new session. Agents and the operator need no such row: the back office
    and the admin always ask (when TWO_FACTOR_REQUIRED), the space only when this exists."""

    user = models.OneToOneField(
        "accounts.User",
        on_delete=models.CASCADE,
        related_name="space_second_factor",
        verbose_name="identifiant",
    )

    class Meta:
        verbose_name = "second facteur de l'espace usager"
        verbose_name_plural = "seconds facteurs de l'espace usager"

    def __str__(self):
        return str(self.user)
