"""A move accepted for a later date takes effect on that date in « Mon calendrier de
collecte » and in its emails: each collection is read at the dwelling of its date (the
current one until the day before the move, the new one from the move's date), the coming
dwelling is announced, and the change alert speaks of the dwelling of the collection."""

import datetime

import pytest
from django.utils import timezone

from levee.calendars.rules import Weekday
from levee.calendars.selectors import next_collections_for_account
from levee.calendars.services_reminders import collection_reminders_send, reminder_set
from levee.collection.models import Flux
from levee.mailing.models import OutboxMessage
from levee.subscribers.models import Subscription

from .conftest import make_schedule, plain

pytestmark = pytest.mark.django_db

PAGE = "/flandre-interieure/espace/calendrier/"
MOVES_ON = datetime.date(2026, 12, 20)  # a Sunday


def day(d: int) -> datetime.date:
    return datetime.date(2026, 12, d)


@pytest.fixture
def today(monkeypatch):
    """The project's way of setting today: Django's clock, moved by the test."""

    def set_today(on: datetime.date, hour: int = 10) -> None:
        moment = timezone.make_aware(datetime.datetime(on.year, on.month, on.day, hour))
        monkeypatch.setattr(timezone, "now", lambda: moment)

    return set_today


@pytest.fixture
def moving(world):
    """Pierre Dupont (Bailleul: OM on Tuesdays, recyclables every other Thursday) moves on
    Sunday 20 December 2026 to Hazebrouck (OM on Mondays, glass on Fridays), as an accepted
    « Je signale mon déménagement » leaves it: the current subscription ends that day, the
    new one starts that day."""
    make_schedule(world.ccfi, world.hazebrouck, weekday=Weekday.MONDAY)
    make_schedule(world.ccfi, world.hazebrouck, Flux.VERRE, weekday=Weekday.FRIDAY)
    old = Subscription.objects.get(account=world.account)
    Subscription.objects.filter(pk=old.pk).update(ended_on=MOVES_ON)
    Subscription.objects.create(
        authority=world.ccfi,
        account=world.account,
        reference="00001-2",
        kind="bac",
        subscribed_on=MOVES_ON,
        commune=world.hazebrouck,
        postal_code="59190",
        number="3",
        street="rue de la Gare",
    )
    return world


def test_the_calendar_page_reads_each_date_at_the_dwelling_of_that_date(client, moving, today):
    today(day(9))  # a Wednesday
    client.force_login(moving.resident)
    page = plain(client.get(PAGE))
    assert "29 ROUTE DE MÉTEREN 59270 BAILLEUL — jusqu'au 19 décembre 2026" in page
    assert "jeudi 10 décembre 2026" in page and "mardi 15 décembre 2026" in page
    assert "mardi 22 décembre 2026" not in page, "Bailleul's collections stop with the move"
    assert "À partir du 20 décembre 2026 : Hazebrouck 3 RUE DE LA GARE 59190 HAZEBROUCK" in page
    assert "lundi 21 décembre 2026" in page and "vendredi 25 décembre 2026" not in page
    assert "samedi 26 décembre 2026 (au lieu du vendredi 25 décembre : Noël)" in page
    assert "lundi 14 décembre 2026" not in page, "no Hazebrouck collection before the move"
    assert "vendredi 18 décembre 2026" not in page
    # The reminders can be chosen now for the new dwelling's flux too.
    assert "Verre" in page and 'value="verre"' in client.get(PAGE).content.decode()

    today(day(20))  # the move's day
    client.logout()  # a new session: the one of the 9th has ended (idle too long)
    client.force_login(moving.resident)
    page = plain(client.get(PAGE))
    assert "Mes prochaines collectes 3 RUE DE LA GARE 59190 HAZEBROUCK Mes prochaines" in page
    assert "À partir du" not in page and "jusqu'au" not in page
    assert "lundi 21 décembre 2026" in page and "mardi 22 décembre 2026" not in page


def test_the_next_collections_of_both_dwellings_take_a_fixed_number_of_queries(
    moving, django_assert_max_num_queries
):
    # The first time: the subscriptions, then each dwelling's settings, sectors,
    # schedules and exceptions, beside the calendar version's cache reads (the tests'
    # cache is the database's table); then kept, only the version and the subscriptions.
    next_collections_for_account(moving.account, today=day(9), limit=2)
    with django_assert_max_num_queries(2):
        found = next_collections_for_account(moving.account, today=day(9), limit=2)
    assert (found.commune, found.until) == (moving.bailleul, MOVES_ON)
    assert (found.coming.commune, found.coming.since) == (moving.hazebrouck, MOVES_ON)
    assert {item.flux: [c.date for c in item.upcoming] for item in found.fluxes} == {
        Flux.ORDURES_MENAGERES: [day(15)],
        Flux.RECYCLABLES: [day(10)],
    }
    coming = {item.flux: [c.date for c in item.upcoming] for item in found.coming.fluxes}
    assert coming == {
        Flux.ORDURES_MENAGERES: [day(21), day(28)],
        Flux.VERRE: [day(26), datetime.date(2027, 1, 2)],
    }


def test_the_change_alert_speaks_of_the_dwelling_of_the_collection(moving, today):
    # Christmas and New Year's Day 2027 are Fridays: Hazebrouck's glass goes to Saturday.
    # At Bailleul, nothing Friday; a Tuesday moved before the move, one after it.
    from levee.calendars.models import ScheduleException
    from levee.calendars.rules import ChangeKind

    for on, kind, moved_to in [
        (day(15), ChangeKind.MOVED, day(16)),
        (day(29), ChangeKind.CANCELLED, None),  # after the move: no longer his
    ]:
        ScheduleException.objects.create(
            authority=moving.ccfi,
            schedule=moving.om,
            date=on,
            kind=kind,
            moved_to=moved_to,
            reason="Travaux",
        )
    reminder_set(
        account=moving.account,
        user=moving.resident,
        fluxes=[Flux.ORDURES_MENAGERES, Flux.VERRE],
        on_eve=False,
        on_change=True,
    )
    assert (
        collection_reminders_send(now=timezone.make_aware(datetime.datetime(2026, 12, 9, 9)))[
            "change"
        ]
        == 2
    )
    bailleul, hazebrouck = OutboxMessage.objects.filter(template="collection_change").order_by("pk")
    assert bailleul.subject == "Un jour de collecte change à Bailleul — CCFI"
    assert (
        "- Ordures ménagères : la collecte du mardi 15 décembre 2026 a lieu le mercredi "
        "16 décembre 2026 (Travaux)." in bailleul.body_text
    )
    assert "29 décembre" not in bailleul.body_text and "Verre" not in bailleul.body_text
    assert hazebrouck.subject == "Des jours de collecte changent à Hazebrouck — CCFI"
    assert (
        "- Verre : la collecte du vendredi 1er janvier 2027 a lieu le samedi 2 janvier 2027"
        in hazebrouck.body_text
    )
    assert "la collecte du vendredi 25 décembre 2026 a lieu le samedi 26 décembre 2026" in (
        hazebrouck.body_html
    )
    assert "Ordures ménagères" not in hazebrouck.body_text

    # After the move, the Bailleul change of the 29th is not his any more.
    assert collection_reminders_send(
        now=timezone.make_aware(datetime.datetime(2026, 12, 21, 9))
    ) == {"eve": 0, "change": 0}
