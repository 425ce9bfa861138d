from django.apps import AppConfig


class LibConfig(AppConfig):
    name = "levee.lib"
    label = "lib"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from levee.lib import checks  # noqa: F401 (registers Levée's system checks)

    def periodic_jobs(self):
        from .captcha import captcha_used_purge
        from .periodic import Job

        return [Job("captcha", lambda: f"{captcha_used_purge()} expired challenge(s) forgotten")]
