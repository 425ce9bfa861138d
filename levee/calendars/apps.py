from django.apps import AppConfig


class CalendarsConfig(AppConfig):
    name = "levee.calendars"
    label = "calendars"
    verbose_name = "Calendriers des collectes"
    default_auto_field = "django.db.models.BigAutoField"
