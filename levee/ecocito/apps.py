from django.apps import AppConfig


class EcocitoConfig(AppConfig):
    """The Ecocito-compatible endpoints: screens only, over the collection's selectors."""

    name = "levee.ecocito"
    verbose_name = "Compatibilité Ecocito"
