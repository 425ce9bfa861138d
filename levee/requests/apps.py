from django.apps import AppConfig


class RequestsConfig(AppConfig):
    name = "levee.requests"
    label = "requests"
    verbose_name = "Demandes"
    default_auto_field = "django.db.models.BigAutoField"
