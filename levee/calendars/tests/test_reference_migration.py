"""The migration that gives every fortnightly rule a reference date keeps the dates of the
year it runs in, and the rule then stays fortnightly across the year's end."""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from levee.calendars.models import CollectionSchedule
from levee.calendars.rules import nominal_dates

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("calendars", "0002_feed_token_per_login")]
AFTER = [("calendars", "0003_schedule_reference_date")]


def test_existing_fortnightly_rules_keep_this_years_dates_and_go_on_every_two_weeks():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    apps = executor.loader.project_state(BEFORE).apps
    authority = apps.get_model("authorities", "Authority").objects.create(
        slug="ancienne", code="00999", name="Ancienne collectivité", contact_email="a@b.fr"
    )
    commune, _ = apps.get_model("authorities", "Commune").objects.get_or_create(
        insee="59043", defaults={"name": "Bailleul", "search_name": "bailleul", "department": "59"}
    )
    Schedule = apps.get_model("calendars", "CollectionSchedule")
    common = dict(
        authority=authority, commune=commune, kind="biweekly", valid_from=datetime.date(2024, 1, 1)
    )
    even = Schedule.objects.create(flux="recyclables", weekday=3, week_parity="even", **common)
    odd = Schedule.objects.create(flux="papier", weekday=4, week_parity="odd", **common)
    weekly = Schedule.objects.create(
        **{**common, "kind": "weekly"}, flux="ordures_menageres", weekday=1
    )

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    year = timezone.localdate().year
    this_year = (datetime.date(year, 1, 1), datetime.date(year, 12, 31))
    for pk, parity in ((even.pk, 0), (odd.pk, 1)):
        rule = CollectionSchedule.objects.get(pk=pk).rule
        found = list(nominal_dates(rule, *this_year))
        assert found and all(d.isocalendar().week % 2 == parity for d in found)
        assert len(found) == len(
            [d for d in _weekdays(rule.weekday, *this_year) if d.isocalendar().week % 2 == parity]
        )
        following = list(
            nominal_dates(
                rule, this_year[1] - datetime.timedelta(days=60), datetime.date(year + 2, 3, 1)
            )
        )
        assert {(b - a).days for a, b in zip(following, following[1:], strict=False)} == {14}
    assert CollectionSchedule.objects.get(pk=weekly.pk).reference_date is None


def _weekdays(weekday, start, end):
    day = start + datetime.timedelta(days=(weekday - start.weekday()) % 7)
    while day <= end:
        yield day
        day += datetime.timedelta(days=7)
