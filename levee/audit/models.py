from django.db import models


class AuditEntry(models.Model):
    """One action of an agent on a resident's data: who, when, what, before/after.
    Written by `audit_write` only; the application offers no way to change it. Who is a
    login (`actor`), or an authority's API key (`api_key`, its software calling the API;
    the administrator who created it is the key's `created_by`)."""

    authority = models.ForeignKey(
        "authorities.Authority", on_delete=models.PROTECT, verbose_name="collectivité"
    )
    actor = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="auteur",
    )
    # A string reference: the log names the key without importing the app that holds it.
    api_key = models.ForeignKey(
        "integrations.ApiKey",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="clé d'API",
    )
    action = models.CharField(max_length=60, verbose_name="action")
    object_type = models.CharField(max_length=60, verbose_name="type d'objet")
    object_id = models.CharField(max_length=40, verbose_name="identifiant de l'objet")
    before = models.JSONField(default=dict, blank=True, verbose_name="avant")
    after = models.JSONField(default=dict, blank=True, verbose_name="après")
    created_at = models.DateTimeField(
        auto_now_add=True, db_index=True, verbose_name="date de création"
    )

    class Meta:
        # The table of the back office, where the model was born (no data moved).
        db_table = "backoffice_auditentry"
        verbose_name = "entrée du journal"
        verbose_name_plural = "journal des actions"
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(actor__isnull=False) | models.Q(api_key__isnull=False),
                name="audit_entry_has_an_actor_or_a_key",
            )
        ]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor or self.api_key} {self.action}"
