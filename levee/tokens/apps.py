from django.apps import AppConfig


class TokensConfig(AppConfig):
    """Personal access tokens: a resident's scripts (home automation) read his data through
    the API with a token he creates and revokes in « Mon profil »."""

    name = "levee.tokens"
    verbose_name = "Jetons d'accès personnels"
    label = "tokens"
    default_auto_field = "django.db.models.BigAutoField"
