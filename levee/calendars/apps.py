from django.apps import AppConfig


class CalendarsConfig(AppConfig):
    name = "levee.calendars"
    label = "calendars"
    verbose_name = "Calendriers des collectes"
    default_auto_field = "django.db.models.BigAutoField"

    def periodic_jobs(self):
        from levee.lib.periodic import Job

        from .services_reminders import collection_reminders_send

        def send() -> str:
            sent = collection_reminders_send()
            return "{eve} evening reminder(s), {change} change alert(s) enqueued".format(**sent)

        return [Job("collection reminders", send)]
