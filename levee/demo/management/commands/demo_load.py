"""`manage.py demo_load`: the demo data of PRODUCT.md, loaded once (run it again freely)."""

from django.core.management.base import BaseCommand

from levee.demo.services import demo_load
from levee.subscribers.models import Account


class Command(BaseCommand):
    help = "Loads the communes and the demo data (authorities, accounts, logins); idempotent."

    def handle(self, *args, **options):
        demo_load()
        self.stdout.write(f"demo: {Account.objects.count()} account(s) in the database")
