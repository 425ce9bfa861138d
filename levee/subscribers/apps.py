from django.apps import AppConfig


class SubscribersConfig(AppConfig):
    name = "levee.subscribers"
    label = "subscribers"
    default_auto_field = "django.db.models.BigAutoField"
