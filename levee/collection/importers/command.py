"""What the import commands (lift_import, dropoff_import, subscriber_import) share: the
authority by its slug, the file, the counts printed, the rejected lines written beside it."""

from pathlib import Path

from django.core.files import File
from django.core.management.base import BaseCommand, CommandError

from levee.authorities.models import Authority

from ..models import ImportBatch, ImportStatus


class ImportCommand(BaseCommand):
    """Subclasses set `help`, `what` (« des levées », for the file argument), `imported`
    (« levées importées ») and `import_function` (e.g. lift_import)."""

    what = ""
    imported = "lignes importées"
    already = "déjà présentes"

    @staticmethod
    def import_function(*, authority, file, filename) -> ImportBatch:
        raise NotImplementedError

    def add_arguments(self, parser):
        parser.add_argument("--authority", required=True, help="slug de la collectivité")
        parser.add_argument("file", help=f"fichier CSV {self.what}")

    def handle(self, *args, authority, file, **options):
        found = Authority.objects.filter(slug=authority).first()
        if found is None:
            raise CommandError(f"Aucune collectivité n'a le slug « {authority} ».")
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"Fichier introuvable : {path}")
        with path.open("rb") as handle:
            batch = self.import_function(
                authority=found, file=File(handle, name=str(path)), filename=path.name
            )
        report = path.with_name(path.name + ".rejets.csv")
        if batch.rejected_report:
            report.write_text(batch.rejected_report, encoding="utf-8")
        elif report.exists():
            report.unlink()  # a stale report of an earlier run would mislead
        if batch.status == ImportStatus.FAILED:
            raise CommandError(batch.message)
        self.stdout.write(
            f"{batch.rows_total} lignes lues, {batch.rows_imported} {self.imported}, "
            f"{batch.rows_already_present} {self.already}, {batch.rows_rejected} rejetées."
        )
        if batch.summary:
            self.stdout.write(" ; ".join(f"{label} : {count}" for label, count in batch.summary))
        if batch.rows_rejected:
            self.stdout.write(f"Lignes rejetées : {report}")
