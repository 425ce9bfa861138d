from django.apps import AppConfig


class TwoFactorConfig(AppConfig):
    """The second factor (TOTP and recovery codes) of agents, the operator and the
    residents who turn it on."""

    name = "levee.twofactor"
    verbose_name = "Double authentification"
    label = "twofactor"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from .middleware import remember_space_protection

        # Django's hook for what a session must know from its login: read once here,
        # the space's pages then cost no query to know whether to ask for a code.
        user_logged_in.connect(remember_space_protection, dispatch_uid="twofactor_space")
