"""Every other week counts from a reference date instead of ISO week parity (which skips a
week after a 53-week year). Each existing rule gets the reference that keeps its dates of
the current year as they are: the first collection day of the year in weeks of its parity."""

import datetime

from django.db import migrations, models
from django.utils import timezone


def reference_for_parity(weekday: int, even: bool, year: int) -> datetime.date:
    # A copy of rules.reference_for_parity as it was written: a migration keeps its own.
    day = datetime.date.fromisocalendar(year, 1, weekday + 1)
    if day.isocalendar().week % 2 != (0 if even else 1):
        day += datetime.timedelta(days=7)
    return day


def set_references(apps, schema_editor):
    CollectionSchedule = apps.get_model("calendars", "CollectionSchedule")
    year = timezone.localdate().year
    for schedule in CollectionSchedule.objects.filter(kind="biweekly"):
        schedule.reference_date = reference_for_parity(
            schedule.weekday, schedule.week_parity == "even", year
        )
        schedule.save(update_fields=["reference_date"])


def set_parities(apps, schema_editor):
    CollectionSchedule = apps.get_model("calendars", "CollectionSchedule")
    for schedule in CollectionSchedule.objects.filter(kind="biweekly"):
        even = schedule.reference_date.isocalendar().week % 2 == 0
        schedule.week_parity = "even" if even else "odd"
        schedule.save(update_fields=["week_parity"])


class Migration(migrations.Migration):
    dependencies = [
        ("calendars", "0002_feed_token_per_login"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="collectionschedule",
            name="schedule_parity_for_biweekly_only",
        ),
        migrations.AddField(
            model_name="collectionschedule",
            name="reference_date",
            field=models.DateField(
                blank=True,
                help_text="Les collectes ont lieu toutes les deux semaines à compter de "
                "celle-ci, d'une année sur l'autre.",
                null=True,
                verbose_name="date d'une collecte (une semaine sur deux)",
            ),
        ),
        migrations.RunPython(set_references, set_parities),
        migrations.RemoveField(
            model_name="collectionschedule",
            name="week_parity",
        ),
        migrations.AddConstraint(
            model_name="collectionschedule",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("kind", "biweekly"), ("reference_date__isnull", False)),
                    models.Q(
                        models.Q(("kind", "biweekly"), _negated=True),
                        ("reference_date__isnull", True),
                    ),
                    _connector="OR",
                ),
                name="schedule_reference_for_biweekly_only",
            ),
        ),
    ]
