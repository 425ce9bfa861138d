"""The periodic jobs, run by cron or a systemd timer every few minutes."""

from django.core.management.base import BaseCommand

from levee.lib.periodic import periodic_jobs


class Command(BaseCommand):
    help = (
        "Runs the periodic jobs that the apps declare: the mail outbox sweep, the production "
        "averages, the payments left waiting, the captcha's used challenges, the privacy purge."
    )

    def handle(self, *args, **options):
        for job in periodic_jobs():
            self.stdout.write(f"{job.name}: {job.run()}")
