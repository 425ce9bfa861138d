from django.apps import AppConfig


class TreasuryConfig(AppConfig):
    name = "levee.treasury"
    label = "treasury"
    verbose_name = "Comptabilité publique"
    default_auto_field = "django.db.models.BigAutoField"
