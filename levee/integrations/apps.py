from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    """What opens an authority to its own software: API keys with scopes (the authorities'
    part of the API) and webhooks, sent through an outbox as emails are."""

    name = "levee.integrations"
    verbose_name = "Intégrations"
    label = "integrations"
    default_auto_field = "django.db.models.BigAutoField"

    def periodic_jobs(self):
        from levee.lib.periodic import Job

        from .webhooks import webhook_sweep

        return [Job("webhooks", lambda: f"{webhook_sweep()} webhook(s) delivered")]
