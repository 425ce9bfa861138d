from django.apps import AppConfig


class AuthoritiesConfig(AppConfig):
    name = "levee.authorities"
    label = "authorities"
    default_auto_field = "django.db.models.BigAutoField"
