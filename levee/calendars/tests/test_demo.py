"""The demo calendars: every commune of both demo authorities, Bailleul as the brief says,
Hazebrouck's two sectors, a few exceptions; loading twice changes nothing."""

import datetime

import pytest

from levee.authorities.models import Commune
from levee.calendars.demo import demo_calendars_load
from levee.calendars.models import CalendarSettings, CollectionSchedule, ScheduleException, Sector
from levee.calendars.rules import check_window, collection_dates
from levee.calendars.selectors import next_collections_for_account
from levee.collection.models import Flux
from levee.subscribers.models import Account

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(demo_world, db):
    """The demo, its calendars included, loaded once for the module (conftest.demo_world)."""
    return CollectionSchedule.objects.count()


def snapshot():
    return (
        list(CollectionSchedule.objects.order_by("pk").values_list("pk", "updated_at")),
        list(ScheduleException.objects.order_by("pk").values_list("pk", "date", "moved_to")),
        list(Sector.objects.order_by("pk").values_list("pk", "streets")),
        list(CalendarSettings.objects.order_by("pk").values_list("pk", "holiday_policy")),
    )


def test_every_commune_of_both_authorities_has_its_calendar(demo):
    assert demo > 100
    for slug in ("flandre-interieure", "pilat-rhodanien"):
        communes = Commune.objects.filter(authorities__slug=slug)
        assert communes.count() > 5
        for commune in communes:
            fluxes = set(
                CollectionSchedule.objects.filter(
                    authority__slug=slug, commune=commune
                ).values_list("flux", flat=True)
            )
            assert {Flux.ORDURES_MENAGERES, Flux.RECYCLABLES} <= fluxes, commune.name


def test_bailleul_pelussin_and_the_policies_are_as_announced(demo):
    bailleul = {
        s.flux: s.rule.describe() for s in CollectionSchedule.objects.filter(commune__insee="59043")
    }
    assert bailleul == {
        Flux.ORDURES_MENAGERES: "Tous les mardis",
        Flux.RECYCLABLES: "Un jeudi sur deux (dont le 08/01/2026)",
    }
    verre = CollectionSchedule.objects.get(commune__insee="42168", flux=Flux.VERRE)
    assert verre.rule.describe() == "Le premier lundi du mois"
    policies = dict(CalendarSettings.objects.values_list("authority__slug", "holiday_policy"))
    assert policies == {"flandre-interieure": "next_day", "pilat-rhodanien": "previous_day"}
    assert ScheduleException.objects.count() >= 12


def test_every_demo_rule_gives_dates_and_every_exception_is_on_one(demo):
    for schedule in CollectionSchedule.objects.all():
        start, end = check_window(schedule.rule)
        assert collection_dates(schedule.rule, start, end, holidays={}, policy="next_day")
    for exception in ScheduleException.objects.select_related("schedule"):
        rule = exception.schedule.rule
        assert collection_dates(rule, exception.date, exception.date, holidays={}, policy="x")


def test_the_demo_resident_lives_in_hazebrouck_nord(demo):
    assert set(Sector.objects.values_list("commune__insee", "name")) == {
        ("59295", "Nord"),
        ("59295", "Sud"),
    }
    martin = Account.objects.get(authority__slug="flandre-interieure", code="00002")
    found = next_collections_for_account(martin, today=datetime.date(2026, 12, 1), limit=3)
    assert found.sector.name == "Nord"
    by_flux = {item.flux: item for item in found.fluxes}
    assert set(by_flux) == {Flux.ORDURES_MENAGERES, Flux.RECYCLABLES, Flux.BIODECHETS}
    assert by_flux[Flux.ORDURES_MENAGERES].rules == ["Tous les lundis", "Tous les jeudis"]


def test_loading_again_changes_nothing(demo):
    before = snapshot()
    assert demo_calendars_load() == 0
    assert snapshot() == before
