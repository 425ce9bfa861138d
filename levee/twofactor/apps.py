from django.apps import AppConfig


class TwoFactorConfig(AppConfig):
    """The second factor (TOTP and recovery codes) of agents, the operator and the
    residents who turn it on."""

    name = "levee.twofactor"
    label = "twofactor"
    default_auto_field = "django.db.models.BigAutoField"
