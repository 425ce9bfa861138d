from django.apps import AppConfig


class AuthoritiesConfig(AppConfig):
    name = "levee.authorities"
    verbose_name = "Collectivités et communes"
    label = "authorities"
    default_auto_field = "django.db.models.BigAutoField"
