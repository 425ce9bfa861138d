from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "levee.payments"
    label = "payments"
    verbose_name = "Règlements"
    default_auto_field = "django.db.models.BigAutoField"
