from django.apps import AppConfig


class LibConfig(AppConfig):
    name = "levee.lib"
    label = "lib"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from levee.lib import checks  # noqa: F401 (registers Levée's system checks)
