from django.apps import AppConfig


class SpaceConfig(AppConfig):
    name = "levee.space"
    verbose_name = "Espace usager"
    label = "space"
    default_auto_field = "django.db.models.BigAutoField"
