from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "levee.payments"
    label = "payments"
    verbose_name = "Règlements"
    default_auto_field = "django.db.models.BigAutoField"

    def periodic_jobs(self):
        from levee.lib.periodic import Job

        from .services import payments_waiting_resolve

        def resolve() -> str:
            counts = payments_waiting_resolve()
            return "{checked} checked, {settled} settled, {expired} expired".format(**counts)

        def receipts() -> str:
            from .receipts import debit_receipts_send

            return f"{debit_receipts_send()} debit receipt(s) enqueued"

        return [Job("payments", resolve), Job("debit receipts", receipts)]
