"""The resident's calendar page and his private feed: its URL holds a revocable token;
only the people of the account reach the page, the link and its revocation."""

import datetime
import re

import pytest
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from levee.accounts.models import AccountAccess, User
from levee.accounts.services import account_access_revoke
from levee.agents.models import Agent
from levee.calendars.models import CalendarFeedToken, Sector
from levee.calendars.rules import Weekday
from levee.calendars.selectors import next_collections_for_account
from levee.collection.models import Flux
from levee.subscribers.models import Subscription
from testkit import make_account, make_user

from .conftest import make_schedule, plain, text
from .test_ics import parse

pytestmark = pytest.mark.django_db

PAGE = "/flandre-interieure/espace/calendrier/"


def feed_path(response) -> str:
    url = re.search(r'id="feed-url"[^>]*value="([^"]+)"', text(response)).group(1)
    assert url.startswith(settings.SITE_URL + "/")
    return url.removeprefix(settings.SITE_URL)


@pytest.fixture
def resident(client, world):
    client.force_login(world.resident)
    return world


def test_the_page_shows_the_household_next_collections(client, resident):
    response = client.get(PAGE)
    page = plain(response)
    assert response.status_code == 200 and "Mon calendrier de collecte" in page
    assert "Mes prochaines collectes" in page and "29 ROUTE DE MÉTEREN 59270 BAILLEUL" in page
    assert "Tous les mardis" in page and "Un jeudi sur deux (dont le 08/01/2026)" in page
    assert "Obtenir mon lien d'agenda" in page
    assert not CalendarFeedToken.objects.exists()  # created only when asked for


def test_the_owner_gets_his_private_feed(client, resident):
    response = client.post(f"{PAGE}lien/", follow=True)
    assert "Votre lien d'agenda est prêt." in text(response)
    token = CalendarFeedToken.objects.get(account=resident.account)
    assert token.authority == resident.ccfi and token.created_by == resident.resident
    assert len(token.token) >= 32
    path = feed_path(response)
    assert path == f"/flandre-interieure/calendriers/abonnement/{token.token}.ics"
    client.logout()  # the calendar application has no session
    feed = client.get(path)
    assert feed.status_code == 200 and feed["Content-Type"] == "text/calendar; charset=utf-8"
    assert "no-store" in feed["Cache-Control"]
    summaries = {e["SUMMARY"] for e in parse(feed.content.decode())["events"]}
    assert summaries == {"Ordures ménagères", "Emballages recyclables"}
    # Asking again gives the same link.
    client.force_login(resident.resident)
    client.post(f"{PAGE}lien/")
    assert CalendarFeedToken.objects.filter(account=resident.account).count() == 1


def test_revoking_makes_the_old_url_a_404_and_gives_a_new_one(client, resident):
    old_path = feed_path(client.post(f"{PAGE}lien/", follow=True))
    token = CalendarFeedToken.objects.get(account=resident.account)
    confirm = client.get(f"{PAGE}revoquer/")
    assert confirm.status_code == 200 and "Révoquer ce lien" in text(confirm)
    response = client.post(f"{PAGE}revoquer/", {"token": token.pk}, follow=True)
    assert "L'ancien lien ne fonctionne plus." in text(response)
    new_path = feed_path(response)
    assert new_path != old_path
    assert client.get(old_path).status_code == 404
    assert client.get(new_path).status_code == 200
    # A second click on the same confirmation revokes nothing more.
    client.post(f"{PAGE}revoquer/", {"token": token.pk})
    assert CalendarFeedToken.objects.filter(account=resident.account).count() == 2
    assert client.get(new_path).status_code == 200


def test_another_resident_can_neither_see_nor_revoke_the_link(client, resident):
    client.post(f"{PAGE}lien/")
    token = CalendarFeedToken.objects.get(account=resident.account)
    other = make_account(resident.ccfi, code="00099", portal_key="OTHERKEY", last_name="MARTIN")
    client.force_login(make_user("martin@example.org", accounts=[other]))
    account_pk = resident.account.pk
    assert client.get(f"{PAGE}?compte={account_pk}").status_code == 404
    assert client.get(f"{PAGE}revoquer/?compte={account_pk}").status_code == 404
    assert (
        client.post(f"{PAGE}revoquer/?compte={account_pk}", {"token": token.pk}).status_code == 404
    )
    assert client.post(f"{PAGE}lien/?compte={account_pk}").status_code == 404
    # From his own account, the other's token id changes nothing.
    client.post(f"{PAGE}lien/")
    client.post(f"{PAGE}revoquer/", {"token": token.pk})
    token.refresh_from_db()
    assert token.revoked_at is None
    assert token.token not in text(client.get(PAGE))


def test_the_page_is_a_404_for_an_agent_of_another_authority(client, world):
    client.force_login(world.pilat_agent)
    assert client.get(PAGE).status_code == 404


def test_the_page_needs_a_login(client, world):
    response = client.get(PAGE)
    assert response.status_code == 302


def test_a_token_does_not_work_under_another_authority(client, resident):
    client.post(f"{PAGE}lien/")
    token = CalendarFeedToken.objects.get(account=resident.account)
    url = f"/pilat-rhodanien/calendriers/abonnement/{token.token}.ics"
    assert client.get(url).status_code == 404
    assert (
        client.get("/flandre-interieure/calendriers/abonnement/" + "x" * 32 + ".ics").status_code
        == 404
    )


def test_the_household_sees_its_sector_only(client, resident):
    west = Sector.objects.create(
        authority=resident.ccfi,
        commune=resident.bailleul,
        name="Ouest",
        streets="Route de METEREN\nrue du Musée",
    )
    east = Sector.objects.create(
        authority=resident.ccfi, commune=resident.bailleul, name="Est", streets="rue d'Ypres"
    )
    make_schedule(resident.ccfi, resident.bailleul, Flux.VERRE, sector=west, weekday=Weekday.MONDAY)
    make_schedule(
        resident.ccfi, resident.bailleul, Flux.PAPIER, sector=east, weekday=Weekday.MONDAY
    )
    page = plain(client.get(PAGE))
    assert "secteur Ouest" in page and "Verre" in page and "Papiers" not in page
    Subscription.objects.filter(account=resident.account).update(street="rue Inconnue")
    page = plain(client.get(PAGE))
    assert "Votre rue ne figure dans aucun secteur de Bailleul" in page
    assert "Verre" not in page and "Ordures ménagères" in page


def test_next_collections_for_account_gives_the_next_dates_per_flux(
    world, django_assert_max_num_queries
):
    today = datetime.date(2026, 3, 2)  # a Monday
    next_collections_for_account(world.account, today=today, limit=2)  # kept from now on
    # The calendar version's cache read and the subscriptions.
    with django_assert_max_num_queries(2):
        found = next_collections_for_account(world.account, today=today, limit=2)
    assert found.commune == world.bailleul and found.sector is None
    by_flux = {item.flux: [c.date for c in item.upcoming] for item in found.fluxes}
    assert by_flux == {
        Flux.ORDURES_MENAGERES: [datetime.date(2026, 3, 3), datetime.date(2026, 3, 10)],
        Flux.RECYCLABLES: [datetime.date(2026, 3, 5), datetime.date(2026, 3, 19)],
    }
    html = render_to_string(
        "calendars/_next_collections.html",
        {"next_collections": found, "authority": world.ccfi},
    )
    assert "mardi 3 mars 2026" in html
    march = next_collections_for_account(world.account, today=datetime.date(2026, 8, 30), limit=1)
    html = render_to_string(
        "calendars/_next_collections.html", {"next_collections": march, "authority": world.ccfi}
    )
    assert "mardi 1er septembre 2026" in html and "/flandre-interieure/espace/calendrier/" in html
    assert "calendriers de collecte des déchets sur votre commune" in html


def test_the_include_says_when_there_is_no_calendar(world):
    Subscription.objects.filter(account=world.account).update(commune=world.hazebrouck)
    found = next_collections_for_account(world.account, today=timezone.localdate(), limit=3)
    assert found.fluxes == []
    html = render_to_string(
        "calendars/_next_collections.html", {"next_collections": found, "authority": world.ccfi}
    )
    assert "pas encore publié" in html
    without = make_account(world.ccfi, code="00100", portal_key="NOSUBSCR", commune=None)
    Subscription.objects.filter(account=without).delete()
    assert next_collections_for_account(without, today=timezone.localdate(), limit=3) is None
    html = render_to_string(
        "calendars/_next_collections.html", {"next_collections": None, "authority": world.ccfi}
    )
    assert "/flandre-interieure/calendriers/" in html


def test_an_agent_who_is_also_a_resident_sees_his_own_calendar(client, world):
    Agent.objects.create(authority=world.ccfi, user=world.resident)
    client.force_login(world.resident)
    assert client.get(PAGE).status_code == 200


def test_the_link_stops_when_its_login_is_dissociated(client, resident):
    path = feed_path(client.post(f"{PAGE}lien/", follow=True))
    client.logout()
    assert client.get(path).status_code == 200
    account_access_revoke(user=resident.resident, account=resident.account)
    assert client.get(path).status_code == 404


def test_the_link_stops_when_an_agent_removes_the_access(client, resident):
    path = feed_path(client.post(f"{PAGE}lien/", follow=True))
    access = AccountAccess.objects.get(user=resident.resident, account=resident.account)
    account_access_revoke(user=access.user, account=access.account, by=resident.ccfi_agent)
    client.logout()
    assert client.get(path).status_code == 404


def test_the_link_stops_when_its_login_is_deactivated_or_deleted(client, resident):
    path = feed_path(client.post(f"{PAGE}lien/", follow=True))
    client.logout()
    User.objects.filter(pk=resident.resident.pk).update(is_active=False)
    assert client.get(path).status_code == 404
    User.objects.filter(pk=resident.resident.pk).delete()
    assert client.get(path).status_code == 404


def test_each_login_of_a_household_has_his_own_link(client, resident):
    """A shared account: the other login sees neither the first one's link nor loses his
    own when the first one leaves."""
    mine = feed_path(client.post(f"{PAGE}lien/", follow=True))
    partner = make_user("partenaire@example.org", accounts=[resident.account])
    client.force_login(partner)
    assert mine not in text(client.get(PAGE))
    theirs = feed_path(client.post(f"{PAGE}lien/", follow=True))
    assert theirs != mine
    account_access_revoke(user=resident.resident, account=resident.account)
    client.logout()
    assert client.get(mine).status_code == 404
    assert client.get(theirs).status_code == 200
