"""The periodic jobs, run by cron or a systemd timer every few minutes."""

from django.core.management.base import BaseCommand

from levee.collection.averages import production_averages_refresh_due
from levee.lib.captcha import captcha_used_purge
from levee.mailing.services import outbox_sweep
from levee.payments.services import payments_waiting_resolve
from levee.privacy.services import privacy_purge


class Command(BaseCommand):
    help = (
        "Runs the periodic jobs: the mail outbox sweep, the production averages, "
        "the payments left waiting."
    )

    def handle(self, *args, **options):
        sent = outbox_sweep()
        self.stdout.write(f"outbox: {sent} message(s) sent")
        refreshed = production_averages_refresh_due()
        self.stdout.write(f"production averages: {refreshed} authority(ies) refreshed")
        payments = payments_waiting_resolve()
        self.stdout.write(
            "payments: {checked} checked, {settled} settled, {expired} expired".format(**payments)
        )
        self.stdout.write(f"captcha: {captcha_used_purge()} expired challenge(s) forgotten")
        purged = privacy_purge()
        self.stdout.write(
            "privacy: done today already"
            if purged is None
            else "privacy: " + ", ".join(f"{n} {what}" for what, n in purged.items()) + " removed"
        )
