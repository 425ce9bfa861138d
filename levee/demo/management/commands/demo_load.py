"""`manage.py demo_load`: the demo data of PRODUCT.md, loaded once (run it again freely)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from levee.demo.services import demo_load
from levee.subscribers.models import Account


class Command(BaseCommand):
    help = "Loads the communes and the demo data (authorities, accounts, logins); idempotent."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Load the demo into a database other than the embedded one (staging).",
        )

    def handle(self, *args, force=False, **options):
        # The demo's logins have public passwords (README): loaded into a production
        # database they would open its back office and its admin to anyone.
        if not settings.EMBEDDED and not force:
            raise CommandError(
                "demo_load refuses to run outside the embedded demo (DATABASE_URL or an "
                "https:// SITE_URL is set): its logins have public passwords. "
                "Pass --force to load it anyway, into a database of test or staging only."
            )
        demo_load()
        self.stdout.write(f"demo: {Account.objects.count()} account(s) in the database")
