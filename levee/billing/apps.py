from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "levee.billing"
    label = "billing"
    verbose_name = "Facturation"
    default_auto_field = "django.db.models.BigAutoField"

    def periodic_jobs(self):
        from levee.lib.periodic import Job

        from .services_alerts import usage_alerts_send
        from .services_dunning import invoice_reminders_send

        return [
            Job("usage alerts", lambda: f"{usage_alerts_send()} usage alert(s) enqueued"),
            Job(
                "invoice reminders",
                lambda: f"{invoice_reminders_send()} invoice reminder(s) enqueued",
            ),
        ]
