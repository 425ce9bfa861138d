from django.apps import AppConfig


class MailingConfig(AppConfig):
    name = "levee.mailing"
    label = "mailing"
    default_auto_field = "django.db.models.BigAutoField"
