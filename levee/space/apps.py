from django.apps import AppConfig


class SpaceConfig(AppConfig):
    name = "levee.space"
    label = "space"
    default_auto_field = "django.db.models.BigAutoField"
