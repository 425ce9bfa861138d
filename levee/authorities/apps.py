from django.apps import AppConfig


class AuthoritiesConfig(AppConfig):
    name = "levee.authorities"
    verbose_name = "Collectivités et communes"
    label = "authorities"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from . import checks  # noqa: F401 (registers the host names' system check)
        from .hosts import authority_hosts_changed

        # The cache of the host names served is forgotten whatever saves an authority (the
        # admin, a command, a test), so that a new host name is served at once.
        for signal in (post_save, post_delete):
            signal.connect(
                authority_hosts_changed, sender="authorities.Authority", dispatch_uid="hosts"
            )
