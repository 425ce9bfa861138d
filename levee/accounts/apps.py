from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "levee.accounts"
    verbose_name = "Identifiants et comptes"
    label = "accounts"
    default_auto_field = "django.db.models.BigAutoField"
