from django.db import models

from levee.lib.models import TimeStampedModel


class Agent(TimeStampedModel):
    """A login working for one authority in the back office."""

    authority = models.ForeignKey("authorities.Authority", on_delete=models.CASCADE, related_name="agents")
    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="agent_roles")
    is_active = models.BooleanField("actif", default=True)

    class Meta:
        verbose_name = "agent"
        constraints = [models.UniqueConstraint(fields=["authority", "user"], name="unique_agent")]

    def __str__(self):
        return f"{self.user} ({self.authority})"
