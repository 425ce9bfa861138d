"""Generates a régie's pain.008 file of the debits due up to a date, as « Prélèvements »
→ « Générer le fichier » does in the back office.

    manage.py debit_file_generate pilat-rhodanien --up-to 2027-01-31 [--agent EMAIL]

Prints the file with its count, total and collection dates, and where it is kept; an
authority that cannot make one (not a régie, incomplete settings, nothing due) is told why,
in French, and no file is written. With --agent, the generation is audited in that agent's
name, as from the back office. A file generated and not yet transmitted is replaced, as on
the screen.
"""

import datetime

from django.core.management.base import BaseCommand, CommandError

from levee.accounts.models import User
from levee.authorities.models import Authority
from levee.lib.templatetags.levee_format import euros
from levee.payments.debit_files import DebitFileError, debit_file_generate


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(
            f"« {value} » n'est pas une date : écrivez-la AAAA-MM-JJ, par exemple 2027-01-31."
        ) from None


class Command(BaseCommand):
    help = "Génère le fichier de prélèvements SEPA (pain.008) d'une régie."

    def add_arguments(self, parser):
        parser.add_argument("authority", help="identifiant de la collectivité (son slug)")
        parser.add_argument(
            "--up-to", required=True, help="les prélèvements dus jusqu'à cette date (AAAA-MM-JJ)"
        )
        parser.add_argument("--agent", help="email de l'agent au nom duquel générer (journal)")

    def handle(self, *args, **options):
        authority = Authority.objects.filter(slug=options["authority"]).first()
        if authority is None:
            raise CommandError(f"Aucune collectivité n'a l'identifiant « {options['authority']} ».")
        up_to = _date(options["up_to"])
        by = None
        if options["agent"]:
            by = User.objects.filter(
                email__iexact=options["agent"],
                agent_roles__authority_id=authority.pk,
                agent_roles__is_active=True,
            ).first()
            if by is None:
                raise CommandError(
                    f"« {options['agent']} » n'est pas un agent actif de {authority}."
                )
        try:
            debit_file = debit_file_generate(authority=authority, up_to=up_to, by=by)
        except DebitFileError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"Fichier {debit_file.name} : {debit_file.count} prélèvements, "
            f"{euros(debit_file.total_cents)}, du {debit_file.first_collection_on:%d/%m/%Y} "
            f"au {debit_file.last_collection_on:%d/%m/%Y} — {debit_file.file.name}"
        )
