from django.core.management.base import BaseCommand, CommandError

from levee.authorities.services import AuthorityError, authority_create_from_epci


class Command(BaseCommand):
    help = "Creates an authority serving the member communes of an EPCI (by its SIREN)."

    def add_arguments(self, parser):
        parser.add_argument("--siren", required=True, help="SIREN of the EPCI, 9 digits")
        parser.add_argument("--slug", required=True, help="address of the portal: /<slug>/")
        parser.add_argument(
            "--code", required=True, help="authority code, 5 digits (invoice numbers)"
        )
        parser.add_argument("--email", required=True, help="contact email shown to residents")
        parser.add_argument("--name", help="name (defaults to the EPCI's)")

    def handle(self, *args, siren, slug, code, email, name=None, **options):
        try:
            authority = authority_create_from_epci(
                siren=siren.strip(),
                slug=slug.strip(),
                code=code.strip(),
                contact_email=email.strip(),
                name=name,
            )
        except AuthorityError as error:
            raise CommandError(str(error))
        self.stdout.write(
            f"{authority.name}: /{authority.slug}/, {authority.communes.count()} communes"
        )
