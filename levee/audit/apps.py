from django.apps import AppConfig


class AuditConfig(AppConfig):
    """The audit log: every change an agent (or the operator) makes to a resident's data."""

    name = "levee.audit"
    verbose_name = "Journal des actions"
    label = "audit"
    default_auto_field = "django.db.models.BigAutoField"
