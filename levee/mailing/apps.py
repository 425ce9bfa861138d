from django.apps import AppConfig


class MailingConfig(AppConfig):
    name = "levee.mailing"
    verbose_name = "Emails"
    label = "mailing"
    default_auto_field = "django.db.models.BigAutoField"

    def periodic_jobs(self):
        from levee.lib.periodic import Job

        from .services import outbox_sweep

        return [Job("outbox", lambda: f"{outbox_sweep()} message(s) sent")]
