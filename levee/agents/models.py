from django.db import models
from django.utils.functional import cached_property

from levee.lib.models import TimeStampedModel

from .roles import GROUPS, AgentRole


class Agent(TimeStampedModel):
    """A login working for one authority in the back office."""

    authority = models.ForeignKey(
        "authorities.Authority",
        on_delete=models.CASCADE,
        related_name="agents",
        verbose_name="collectivité",
    )
    user = models.ForeignKey(
        "accounts.User",
        on_delete=models.CASCADE,
        related_name="agent_roles",
        verbose_name="identifiant",
    )
    role = models.CharField(
        "rôle", max_length=20, choices=AgentRole.choices, default=AgentRole.ACCUEIL
    )
    is_active = models.BooleanField("actif", default=True)

    class Meta:
        # The table of the back office, where the model was born (no data moved).
        db_table = "backoffice_agent"
        verbose_name = "agent"
        verbose_name_plural = "agents"
        constraints = [
            models.UniqueConstraint(fields=["authority", "user"], name="unique_agent"),
            models.CheckConstraint(
                condition=models.Q(role__in=AgentRole.values), name="agent_role_known"
            ),
        ]

    def __str__(self):
        return f"{self.user} ({self.authority})"

    @cached_property
    def can(self) -> dict[str, bool]:
        """What this agent may change, by group of roles.py: `agent.can["imports"]`, or
        `{% if request.agent.can.imports %}` in a template."""
        return {name: self.role in roles for name, roles in GROUPS.items()}
