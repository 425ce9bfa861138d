from django.apps import AppConfig


class BackofficeConfig(AppConfig):
    name = "levee.backoffice"
    verbose_name = "Back office"
    label = "backoffice"
    default_auto_field = "django.db.models.BigAutoField"
