from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from levee.authorities.services import communes_refresh


class Command(BaseCommand):
    help = (
        "Rebuilds data/communes.csv.gz and data/epci.csv.gz from newer communes.json and "
        "epci.json of @etalab/decoupage-administratif, then loads them."
    )

    def add_arguments(self, parser):
        parser.add_argument("--communes", required=True, type=Path, help="path to communes.json")
        parser.add_argument("--epci", required=True, type=Path, help="path to epci.json")

    def handle(self, *args, communes, epci, **options):
        for path in (communes, epci):
            if not path.is_file():
                raise CommandError(f"File not found: {path}")
        try:
            result = communes_refresh(communes_json=communes, epci_json=epci)
        except (ValueError, KeyError) as error:
            raise CommandError(f"Unreadable commune data: {error}")
        self.stdout.write(str(result))
