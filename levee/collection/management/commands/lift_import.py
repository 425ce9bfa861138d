"""Imports a CSV file of lifts (format: levee/collection/IMPORT_FORMAT.md) for one authority.

    manage.py lift_import --authority flandre-interieure levees-2024-03.csv

Prints the counts; the rejected lines go to <FILE>.rejets.csv (« ligne;motif »).
"""

from pathlib import Path

from django.core.files import File
from django.core.management.base import BaseCommand, CommandError

from levee.authorities.models import Authority
from levee.collection.importers import lift_import
from levee.collection.models import ImportStatus


class Command(BaseCommand):
    help = "Importe un fichier CSV de levées pour une collectivité."

    def add_arguments(self, parser):
        parser.add_argument("--authority", required=True, help="slug de la collectivité")
        parser.add_argument("file", help="fichier CSV des levées")

    def handle(self, *args, authority, file, **options):
        found = Authority.objects.filter(slug=authority).first()
        if found is None:
            raise CommandError(f"Aucune collectivité n'a le slug « {authority} ».")
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"Fichier introuvable : {path}")
        with path.open("rb") as handle:
            batch = lift_import(
                authority=found, file=File(handle, name=str(path)), filename=path.name
            )
        if batch.status == ImportStatus.FAILED:
            raise CommandError(batch.message)
        self.stdout.write(
            f"{batch.rows_total} lignes lues, {batch.rows_imported} levées importées, "
            f"{batch.rows_already_present} déjà présentes, {batch.rows_rejected} rejetées."
        )
        report = path.with_name(path.name + ".rejets.csv")
        if batch.rows_rejected:
            report.write_text(batch.rejected_report, encoding="utf-8")
            self.stdout.write(f"Lignes rejetées : {report}")
        elif report.exists():
            report.unlink()  # a stale report of an earlier run would mislead
