from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    """What opens an authority to its own software: API keys with scopes (the authorities'
    part of the API) and webhooks, sent through an outbox as emails are."""

    name = "levee.integrations"
    verbose_name = "Intégrations"
    label = "integrations"
    default_auto_field = "django.db.models.BigAutoField"
