from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    """What the « Données personnelles » page promises: retention purges, the last
    connections, a login's data export and erasure."""

    name = "levee.privacy"
    verbose_name = "Données personnelles"
    label = "privacy"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from .signals import connection_on_login

        # A signal rather than a call in each login view: logins happen in the residents'
        # view, the agents' view, the Django admin's own view (which we do not write) and
        # after an activation; `user_logged_in` is sent by `django.contrib.auth.login` in
        # all of them, so no login can be left out of « Dernières connexions ».
        user_logged_in.connect(connection_on_login, dispatch_uid="levee.privacy.connection")

    def periodic_jobs(self):
        from levee.lib.periodic import Job

        from .services import privacy_purge

        def purge() -> str:
            purged = privacy_purge()
            if purged is None:
                return "done today already"
            return ", ".join(f"{n} {what}" for what, n in purged.items()) + " removed"

        return [Job("privacy", purge)]
