from django.apps import AppConfig


class ApiConfig(AppConfig):
    """The REST API under /api/v1/ (django-ninja): screens only, like the space and the
    back office; it calls the domain's selectors and services."""

    name = "levee.api"
    verbose_name = "API"
    label = "api"
    default_auto_field = "django.db.models.BigAutoField"
