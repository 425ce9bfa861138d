from django.db import models
from django.utils.functional import cached_property

from levee.lib.models import TimeStampedModel

from .roles import GROUPS, AgentRole


class Agent(TimeStampedModel):
    """A login working for one authority in the back office."""

    authority = models.ForeignKey(
        "authorities.Authority", on_delete=models.CASCADE, related_name="agents"
    )
    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="agent_roles")
    role = models.CharField(
        "rôle", max_length=20, choices=AgentRole.choices, default=AgentRole.ACCUEIL
    )
    is_active = models.BooleanField("actif", default=True)

    class Meta:
        verbose_name = "agent"
        constraints = [
            models.UniqueConstraint(fields=["authority", "user"], name="unique_agent"),
            models.CheckConstraint(
                condition=models.Q(role__in=AgentRole.values), name="agent_role_known"
            ),
        ]

    def __str__(self):
        return f"{self.user} ({self.authority})"

    def has_role(self, *roles) -> bool:
        return self.role in roles

    @cached_property
    def can(self) -> dict[str, bool]:
        """What this agent may change, by group of roles.py: `agent.can["imports"]`, or
        `{% if request.agent.can.imports %}` in a template."""
        return {name: self.role in roles for name, roles in GROUPS.items()}


class AuditEntry(models.Model):
    """One action of an agent on a resident's data: who, when, what, before/after.
    Written by services only; the application offers no way to change it."""

    authority = models.ForeignKey("authorities.Authority", on_delete=models.PROTECT)
    actor = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=60)
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=40)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = "entrée du journal"
        verbose_name_plural = "journal des actions"
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor} {self.action}"
