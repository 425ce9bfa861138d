from django.apps import AppConfig


class IdentityConfig(AppConfig):
    """Logging in with the State's identities: FranceConnect for residents, ProConnect for
    agents (OpenID Connect through authlib and joserfc), their links to Levée's logins, and
    the built-in imitation of both providers for the embedded demo."""

    name = "levee.identity"
    verbose_name = "FranceConnect et ProConnect"
    label = "identity"
    default_auto_field = "django.db.models.BigAutoField"
