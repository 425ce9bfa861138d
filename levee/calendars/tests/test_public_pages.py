"""The public calendars: the authority's communes, a commune's next collections, the
printable year, the ICS feed; anything not served is a 404, never a 500."""

import datetime

import pytest
from django.utils import timezone

from levee.calendars.models import CalendarSettings, ScheduleException, Sector
from levee.calendars.rules import HolidayPolicy, RuleKind, Weekday
from levee.calendars.templatetags.calendars import jour
from levee.collection.models import Flux

from .conftest import make_schedule, plain, text
from .test_ics import parse

pytestmark = pytest.mark.django_db


def next_weekday(weekday: int, today=None) -> datetime.date:
    today = today or timezone.localdate()
    return today + datetime.timedelta(days=(weekday - today.weekday()) % 7)


def test_the_authority_page_lists_its_communes(client, world, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        response = client.get("/flandre-interieure/calendriers/")
    page = text(response)
    assert response.status_code == 200 and "Calendriers des collectes" in page
    assert 'href="/flandre-interieure/calendriers/59043/">Bailleul</a>' in page
    assert "Hazebrouck (calendrier à venir)" in plain(response)
    assert "Pélussin" not in page
    # Branded with the authority, through its own stylesheet (no inline style under the CSP).
    assert 'href="/flandre-interieure/theme.css?v=%231d4e89"' in page


def test_the_commune_page_shows_the_next_collections_per_flux(
    client, world, django_assert_max_num_queries
):
    with django_assert_max_num_queries(7):
        response = client.get("/flandre-interieure/calendriers/59043/")
    page = text(response)
    assert "Calendrier des collectes — Bailleul" in page
    assert "Ordures ménagères" in page and "Tous les mardis" in page
    assert "Emballages recyclables" in page and "Un jeudi sur deux (dont le 08/01/2026)" in page
    tuesday = next_weekday(Weekday.TUESDAY)
    # Public holidays aside (none falls on a Tuesday in the first weeks of most years).
    from levee.calendars.public_holidays import public_holidays

    if tuesday not in public_holidays("59", tuesday, tuesday):
        assert jour(tuesday) in page
    year = timezone.localdate().year
    assert f'href="/flandre-interieure/calendriers/59043/{year}/"' in page
    assert 'href="/flandre-interieure/calendriers/59043.ics"' in page
    assert "le lendemain" in page  # the default holiday policy


def test_a_commune_without_calendar_says_so(client, world):
    page = text(client.get("/flandre-interieure/calendriers/59295/"))
    assert "Le calendrier des collectes de Hazebrouck n'est pas encore publié." in page


def test_sectors_are_shown_with_their_streets_and_their_own_feeds(client, world):
    nord = Sector.objects.create(
        authority=world.ccfi, commune=world.hazebrouck, name="Nord", streets="rue de la Gare"
    )
    sud = Sector.objects.create(
        authority=world.ccfi, commune=world.hazebrouck, name="Sud", streets="rue du Stade"
    )
    make_schedule(world.ccfi, world.hazebrouck, Flux.BIODECHETS, weekday=Weekday.WEDNESDAY)
    make_schedule(world.ccfi, world.hazebrouck, sector=nord, weekday=Weekday.MONDAY)
    make_schedule(world.ccfi, world.hazebrouck, sector=sud, weekday=Weekday.THURSDAY)
    page = text(client.get("/flandre-interieure/calendriers/59295/"))
    assert "Secteur Nord" in page and "Secteur Sud" in page and "rue de la Gare" in page
    assert page.count("Biodéchets") >= 2  # the whole town's flux in each sector
    assert f"/flandre-interieure/calendriers/59295.ics?secteur={nord.pk}" in page
    nord_feed = parse(
        client.get(f"/flandre-interieure/calendriers/59295.ics?secteur={nord.pk}").content.decode()
    )
    starts = {
        datetime.datetime.strptime(e["DTSTART;VALUE=DATE"], "%Y%m%d").date().weekday()
        for e in nord_feed["events"]
        if e["SUMMARY"] == "Ordures ménagères" and e["DESCRIPTION"].endswith("Nord")
    }
    assert Weekday.THURSDAY not in starts  # Sud's day is not in Nord's feed


def test_the_year_view_is_printable_and_marks_each_collection(client, world):
    year = timezone.localdate().year
    response = client.get(f"/flandre-interieure/calendriers/59043/{year}/")
    page = text(response)
    assert response.status_code == 200
    assert page.count('<table class="month">') == 12
    assert f"Janvier {year}" in page and f"Décembre {year}" in page
    assert "css/calendars.css" in page and "Imprimer" in page
    assert page.count('<span class="sr-only">Ordures ménagères</span>') >= 48
    from django.conf import settings

    css = (settings.BASE_DIR / "static/css/calendars.css").read_text()
    assert "@media print" in css


def test_the_year_view_tells_the_holiday_changes(client, world):
    year = timezone.localdate().year + 1
    christmas = datetime.date(year, 12, 25)
    make_schedule(world.ccfi, world.hazebrouck, Flux.VERRE, weekday=christmas.weekday())
    page = text(client.get(f"/flandre-interieure/calendriers/59295/{year}/"))
    moved = christmas + datetime.timedelta(days=2 if christmas.weekday() == 5 else 1)
    assert f"Verre : {jour(moved, False)} au lieu du {jour(christmas, False)} (Noël)" in page
    CalendarSettings.objects.create(authority=world.ccfi, holiday_policy=HolidayPolicy.CANCELLED)
    page = text(client.get(f"/flandre-interieure/calendriers/59295/{year}/"))
    assert f"Verre : pas de collecte le {jour(christmas, False)} (Noël)" in page


def test_the_ics_feed_has_one_event_per_flux_and_date_with_stable_uids(client, world):
    # A second OM schedule on Tuesdays (say, summer reinforcement) adds no second event.
    make_schedule(world.ccfi, world.bailleul, Flux.ORDURES_MENAGERES, weekday=Weekday.TUESDAY)
    first = client.get("/flandre-interieure/calendriers/59043.ics")
    second = client.get("/flandre-interieure/calendriers/59043.ics")
    assert first["Content-Type"] == "text/calendar; charset=utf-8"
    assert first.content == second.content
    events = parse(first.content.decode())["events"]
    keys = [(e["SUMMARY"], e["DTSTART;VALUE=DATE"]) for e in events]
    assert len(keys) == len(set(keys)) and len(events) > 60
    assert {e["SUMMARY"] for e in events} == {"Ordures ménagères", "Emballages recyclables"}
    uids = [e["UID"] for e in events]
    assert len(uids) == len(set(uids))
    om_uids = {e["UID"] for e in events if e["SUMMARY"] == "Ordures ménagères"}
    assert all(u.startswith(f"collecte-{world.om.pk}-") for u in om_uids)


def test_a_moved_collection_keeps_its_uid(client, world):
    tuesday = next_weekday(Weekday.TUESDAY) + datetime.timedelta(days=14)
    before = parse(client.get("/flandre-interieure/calendriers/59043.ics").content.decode())
    uid = f"collecte-{world.om.pk}-{tuesday:%Y%m%d}@127.0.0.1"
    assert uid in {e["UID"] for e in before["events"]}
    ScheduleException.objects.create(
        authority=world.ccfi,
        schedule=world.om,
        date=tuesday,
        kind="moved",
        moved_to=tuesday + datetime.timedelta(days=1),
        reason="Braderie",
    )
    after = parse(client.get("/flandre-interieure/calendriers/59043.ics").content.decode())
    (event,) = [e for e in after["events"] if e["UID"] == uid]
    assert event["DTSTART;VALUE=DATE"] == f"{tuesday + datetime.timedelta(days=1):%Y%m%d}"
    assert "Braderie" in event["DESCRIPTION"]


def test_an_exception_shows_on_the_commune_page(client, world):
    thursday = next_weekday(Weekday.THURSDAY)
    if thursday.isocalendar().week % 2:
        thursday += datetime.timedelta(days=7)
    ScheduleException.objects.create(
        authority=world.ccfi,
        schedule=world.recyclables,
        date=thursday,
        kind="cancelled",
        reason="Intempéries",
    )
    page = text(client.get("/flandre-interieure/calendriers/59043/"))
    assert "(Intempéries)" in page and "Pas de collecte le" in page


@pytest.mark.parametrize(
    "url",
    [
        "/pilat-rhodanien/calendriers/59043/",  # served by another authority
        "/pilat-rhodanien/calendriers/59043.ics",
        "/pilat-rhodanien/calendriers/59043/2026/",
        "/flandre-interieure/calendriers/42168/",
        "/flandre-interieure/calendriers/99999/",  # no such commune
        "/flandre-interieure/calendriers/01001/",  # a commune nobody here serves
        "/flandre-interieure/calendriers/59043/1999/",  # a year too far
        "/flandre-interieure/calendriers/59043/99999999999999999999/",
        "/flandre-interieure/calendriers/59043.ics?secteur=abc",
        "/flandre-interieure/calendriers/59043.ics?secteur=99999999999999999999",
        "/flandre-interieure/calendriers/59043/2026/?secteur=-1",
        "/inconnue/calendriers/",
        "/inconnue/calendriers/59043/",
    ],
)
def test_what_is_not_served_is_a_404(client, world, url):
    assert client.get(url).status_code == 404


def test_a_sector_of_another_commune_is_a_404(client, world):
    other = Sector.objects.create(
        authority=world.pilat, commune=world.pelussin, name="Haut", streets="rue du Pilat"
    )
    assert (
        client.get(f"/flandre-interieure/calendriers/59043.ics?secteur={other.pk}").status_code
        == 404
    )


JUNK = ["0", "-1", "%00", "<script>", "' OR 1=1 --", "é" * 200, "59043.ics", "2A004", "abc.ics"]


def test_junk_urls_never_answer_500(client, world):
    for junk in JUNK:
        for url in (
            f"/flandre-interieure/calendriers/{junk}/",
            f"/flandre-interieure/calendriers/{junk}.ics",
            f"/flandre-interieure/calendriers/59043/{junk}/",
            f"/flandre-interieure/calendriers/59043/?secteur={junk}",
            f"/flandre-interieure/calendriers/59043.ics?secteur={junk}",
            f"/flandre-interieure/calendriers/abonnement/{junk}.ics",
        ):
            assert client.get(url).status_code < 500, url


def test_every_other_week_and_monthly_rules_show_in_french(client, world):
    make_schedule(
        world.pilat,
        world.pelussin,
        Flux.VERRE,
        kind=RuleKind.MONTHLY,
        weekday=Weekday.MONDAY,
        ordinal=1,
    )
    make_schedule(
        world.pilat,
        world.pelussin,
        Flux.RECYCLABLES,
        kind=RuleKind.BIWEEKLY,
        weekday=Weekday.WEDNESDAY,
        reference_date=datetime.date(2026, 1, 7),
    )
    page = text(client.get("/pilat-rhodanien/calendriers/42168/"))
    assert "Le premier lundi du mois" in page
    assert "Un mercredi sur deux (dont le 07/01/2026)" in page
