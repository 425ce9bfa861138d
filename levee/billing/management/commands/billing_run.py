"""Bills an authority's subscriptions for a year or a half-year, or resumes a run.

    manage.py billing_run --authority flandre-interieure --year 2023 [--half 1]
                          [--simulation] [--issued-on 2023-07-02] [--due-on 2023-08-01]
    manage.py billing_run --resume 12

Prints the progress as the chunks commit; a failed run (« Échec ») is resumed with --resume:
the invoices already computed stay, numbering goes on without a hole.
"""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from levee.authorities.models import Authority
from levee.billing.models import BillingRun, RunKind, RunStatus
from levee.billing.services import (
    BillingError,
    billing_period_unfinished,
    billing_run_create,
    billing_run_execute,
)


def date_argument(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"Date invalide « {value} » : attendu AAAA-MM-JJ.") from exc


class Command(BaseCommand):
    help = "Lance (ou reprend) une facturation réelle ou à blanc d'une collectivité."

    def add_arguments(self, parser):
        parser.add_argument("--authority", help="slug de la collectivité")
        parser.add_argument("--year", type=int, help="année facturée")
        parser.add_argument("--half", type=int, choices=[1, 2], help="semestre (1 ou 2)")
        parser.add_argument(
            "--simulation", action="store_true", help="facture à blanc (ni numéro ni envoi)"
        )
        parser.add_argument("--issued-on", help="date des factures (AAAA-MM-JJ), aujourd'hui sinon")
        parser.add_argument("--due-on", help="date d'échéance (AAAA-MM-JJ)")
        parser.add_argument("--resume", type=int, metavar="ID", help="reprendre la facturation ID")

    def handle(self, *args, **options):
        if options["resume"] is not None:
            run = BillingRun.objects.filter(pk=options["resume"]).first()
            if run is None:
                raise CommandError(f"Aucune facturation n'a l'identifiant {options['resume']}.")
            if run.status == RunStatus.DONE:
                self.stdout.write(f"La facturation {run.pk} ({run}) est déjà terminée.")
                return
        else:
            run = self.create(options)
            self.stdout.write(f"Facturation {run.pk} créée : {run}.")
            if run.kind == RunKind.REAL:
                # Said, not asked: the command runs unattended too (cron, a script).
                unfinished = billing_period_unfinished(
                    period_end=run.period_end, today=timezone.localdate()
                )
                if unfinished:
                    self.stdout.write(unfinished)
        run = billing_run_execute(run_id=run.pk, on_progress=self.progress)
        if run.status != RunStatus.DONE:
            raise CommandError(f"{run.message} (reprise : --resume {run.pk})")
        self.stdout.write(f"Facturation {run.pk} terminée. {run.message}")

    def create(self, options) -> BillingRun:
        if not options["authority"] or not options["year"]:
            raise CommandError("Indiquez --authority et --year, ou --resume.")
        authority = Authority.objects.filter(slug=options["authority"]).first()
        if authority is None:
            raise CommandError(f"Aucune collectivité n'a le slug « {options['authority']} ».")
        issued_on = (
            date_argument(options["issued_on"]) if options["issued_on"] else timezone.localdate()
        )
        try:
            return billing_run_create(
                authority=authority,
                kind=RunKind.SIMULATION if options["simulation"] else RunKind.REAL,
                year=options["year"],
                half=options["half"],
                issued_on=issued_on,
                due_on=date_argument(options["due_on"]) if options["due_on"] else None,
                enqueue=False,
            )
        except BillingError as exc:
            raise CommandError(exc.message) from exc

    def progress(self, run: BillingRun) -> None:
        if run.invoices_published:
            self.stdout.write(f"  {run.invoices_published}/{run.invoices_done} factures publiées")
        else:
            self.stdout.write(f"  {run.invoices_done}/{run.subscriptions_total} factures calculées")
