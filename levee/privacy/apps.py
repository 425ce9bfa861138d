from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    """What the « Données personnelles » page promises: retention purges, the last
    connections, a login's data export and erasure."""

    name = "levee.privacy"
    label = "privacy"
    default_auto_field = "django.db.models.BigAutoField"
