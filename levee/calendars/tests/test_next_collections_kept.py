"""The space's next collections are computed once and kept (levee.calendars.cache): an
agent's change of the calendar shows at the next request, and what one authority keeps is
never read for another."""

import datetime

from levee.calendars import cache as calendar_cache
from levee.calendars.models import Sector
from levee.calendars.rules import ChangeKind, HolidayPolicy, Weekday
from levee.calendars.selectors import next_collections_for_account
from levee.calendars.services import (
    exception_add,
    holiday_policy_set,
    schedule_update,
    sector_create,
    sector_update,
)
from levee.collection.models import Flux
from levee.subscribers.models import Subscription

from .conftest import make_schedule, plain

MONDAY = datetime.date(2026, 3, 2)


def household_dates(account, today=MONDAY) -> dict:
    found = next_collections_for_account(account, today=today, limit=2)
    return {item.flux: [c.date for c in item.upcoming] for item in found.fluxes}


def test_an_agents_change_shows_at_the_next_request(world, django_assert_max_num_queries):
    tuesdays = [datetime.date(2026, 3, 3), datetime.date(2026, 3, 10)]
    assert household_dates(world.account)[Flux.ORDURES_MENAGERES] == tuesdays
    with django_assert_max_num_queries(2):  # kept: the version and the subscriptions
        assert household_dates(world.account)[Flux.ORDURES_MENAGERES] == tuesdays

    exception_add(
        schedule=world.om,
        agent_user=world.ccfi_agent,
        date=datetime.date(2026, 3, 3),
        kind=ChangeKind.CANCELLED,
        reason="Travaux",
    )
    found = next_collections_for_account(world.account, today=MONDAY, limit=2)
    om = next(item for item in found.fluxes if item.flux == Flux.ORDURES_MENAGERES)
    assert [c.date for c in om.upcoming] == [datetime.date(2026, 3, 10), datetime.date(2026, 3, 17)]
    assert [c.nominal for c in om.cancelled] == [datetime.date(2026, 3, 3)]

    world.om.refresh_from_db()
    schedule_update(schedule=world.om, agent_user=world.ccfi_agent, weekday=Weekday.WEDNESDAY)
    assert household_dates(world.account)[Flux.ORDURES_MENAGERES] == [
        datetime.date(2026, 3, 4),
        datetime.date(2026, 3, 11),
    ]

    holiday_policy_set(
        authority=world.ccfi, policy=HolidayPolicy.CANCELLED, agent_user=world.ccfi_agent
    )
    found = next_collections_for_account(world.account, today=MONDAY, limit=2)
    assert found.policy_sentence == "Une collecte prévue un jour férié n'a pas lieu."


def test_a_sector_made_or_changed_by_an_agent_shows_at_the_next_request(world):
    street = Subscription.objects.get(account=world.account).street
    assert next_collections_for_account(world.account, today=MONDAY, limit=2).sector is None
    sector = sector_create(
        authority=world.ccfi,
        agent_user=world.ccfi_agent,
        commune=world.bailleul,
        name="Centre",
        streets=street,
    )
    make_schedule(world.ccfi, world.bailleul, Flux.VERRE, sector=sector, weekday=Weekday.FRIDAY)
    # The schedule above was written without the services: a change through them (the
    # sector's streets, here unchanged but saved) forgets what was kept, as any would.
    sector_update(sector=Sector.objects.get(pk=sector.pk), agent_user=world.ccfi_agent)
    found = next_collections_for_account(world.account, today=MONDAY, limit=2)
    assert found.sector == sector
    assert {item.flux for item in found.fluxes} == {
        Flux.ORDURES_MENAGERES,
        Flux.RECYCLABLES,
        Flux.VERRE,
    }


def test_what_one_authority_keeps_is_not_read_for_another(world):
    next_collections_for_account(world.account, today=MONDAY, limit=2)
    ccfi, pilat = calendar_cache.key_prefix(world.ccfi), calendar_cache.key_prefix(world.pilat)
    assert ccfi.split(":")[2] == str(world.ccfi.pk) and pilat.split(":")[2] == str(world.pilat.pk)
    assert ccfi != pilat
    # A change of the CCFI's calendars leaves the Pilat's version alone, and the reverse.
    calendar_cache.calendars_changed(world.ccfi.pk)
    assert calendar_cache.key_prefix(world.pilat) == pilat
    assert calendar_cache.key_prefix(world.ccfi) != ccfi
    # An authority made again under the same id (its row created at another instant)
    # reads none of the old one's entries.
    world.pilat.created_at += datetime.timedelta(seconds=1)
    assert calendar_cache.key_prefix(world.pilat) != pilat


def test_the_home_page_shows_the_kept_collections_and_then_the_change(client, world):
    client.force_login(world.resident)
    page = plain(client.get("/flandre-interieure/espace/"))
    assert "Mes prochaines collectes" in page and "Ordures ménagères" in page
    assert "Verre" not in page
    schedule_update(schedule=world.recyclables, agent_user=world.ccfi_agent, flux=Flux.VERRE)
    page = plain(client.get("/flandre-interieure/espace/"))
    assert "Verre" in page and "Emballages recyclables" not in page
