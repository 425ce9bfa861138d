"""Generates the rôle (PES ORMC files) of a published real billing run.

    manage.py pes_generate <run id> [--agent claire.verhaeghe@example.org]

Prints where it goes and, at the end, the files with their bordereaux, counts and totals;
a run that cannot make a rôle (not published, a facture à blanc, incomplete settings) is
told why, in French, and no file is written. With --agent, the generation is audited in
that agent's name, as from the back office.
"""

from django.core.management.base import BaseCommand, CommandError

from levee.accounts.models import User
from levee.billing.models import BillingRun
from levee.lib.templatetags.levee_format import euros
from levee.treasury.services import TreasuryError, pes_file_generate, pes_files_summary


class Command(BaseCommand):
    help = "Génère le fichier PES (rôle ORMC) d'une facturation réelle publiée."

    def add_arguments(self, parser):
        parser.add_argument("run", type=int, help="identifiant de la facturation")
        parser.add_argument("--agent", help="email de l'agent au nom duquel générer (journal)")

    def handle(self, *args, **options):
        run = BillingRun.objects.select_related("authority").filter(pk=options["run"]).first()
        if run is None:
            raise CommandError(f"Aucune facturation n'a l'identifiant {options['run']}.")
        by = None
        if options["agent"]:
            by = User.objects.filter(
                email__iexact=options["agent"],
                agent_roles__authority_id=run.authority_id,
                agent_roles__is_active=True,
            ).first()
            if by is None:
                raise CommandError(
                    f"« {options['agent']} » n'est pas un agent actif de {run.authority}."
                )
        self.stdout.write(f"Rôle de la facturation {run.pk} ({run}, {run.authority}) …")

        def progress(done: int, total: int) -> None:
            self.stdout.write(f"  {done} / {total} factures écrites")

        try:
            files = pes_file_generate(run=run, by=by, progress=progress)
        except TreasuryError as error:
            raise CommandError(error.message) from error
        self.stdout.write(pes_files_summary(files))
        for pes_file in files:
            self.stdout.write(
                f"  bordereau {pes_file.bordereau} : {pes_file.pieces} factures, "
                f"{euros(pes_file.total_cents)} TTC — {pes_file.file.name}"
            )
