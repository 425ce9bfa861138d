from django.core.management.base import BaseCommand

from levee.authorities.services import communes_load


class Command(BaseCommand):
    help = "Loads (upserts) the commune reference data shipped in data/ into the database."

    def handle(self, *args, **options):
        result = communes_load()
        self.stdout.write(
            f"communes: {result['created']} created, {result['updated']} updated, "
            f"{result['deleted']} deleted; {result['epci']} EPCI"
        )
