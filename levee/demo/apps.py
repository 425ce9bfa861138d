from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "levee.demo"
    verbose_name = "Démonstration"
    label = "demo"
    default_auto_field = "django.db.models.BigAutoField"
