from django.apps import AppConfig


class AuthoritiesConfig(AppConfig):
    name = "levee.authorities"
    verbose_name = "Collectivités et communes"
    label = "authorities"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import checks  # noqa: F401 (registers the host names' system check)
