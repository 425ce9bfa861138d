from django.core.management.base import BaseCommand

from levee.calendars.demo import demo_calendars_load


class Command(BaseCommand):
    help = "Loads the demo collection calendars of the two demo authorities (idempotent)."

    def handle(self, *args, **options):
        created = demo_calendars_load()
        self.stdout.write(f"{created} calendrier(s) de collecte créé(s).")
