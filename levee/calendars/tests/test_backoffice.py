"""The agents' calendar pages: schedules, exceptions, sectors, holiday policy — only their
own authority's, every change audited, and rules that give no date refused."""

import datetime

import pytest

from levee.audit.models import AuditEntry
from levee.calendars.models import (
    CalendarSettings,
    CollectionSchedule,
    ScheduleException,
    Sector,
)
from levee.calendars.rules import HolidayPolicy, RuleKind, Weekday
from levee.collection.models import Flux

from .conftest import make_schedule, plain, schedule_post, text

pytestmark = pytest.mark.django_db

BO = "/backoffice/calendriers/"


@pytest.fixture
def agent(client, world):
    client.force_login(world.ccfi_agent)
    return world


def test_an_agent_creates_a_schedule_and_it_shows_on_the_public_page(client, agent):
    response = client.post(f"{BO}nouveau/", schedule_post(agent.hazebrouck), follow=True)
    assert "Calendrier créé" in text(response)
    schedule = CollectionSchedule.objects.get(commune=agent.hazebrouck)
    assert schedule.authority == agent.ccfi and schedule.weekday == Weekday.WEDNESDAY
    entry = AuditEntry.objects.get(action="calendar.schedule_create")
    assert entry.actor == agent.ccfi_agent and entry.authority == agent.ccfi
    assert entry.after["commune"] == "59295" and entry.after["weekday"] == Weekday.WEDNESDAY
    public = plain(client.get("/flandre-interieure/calendriers/59295/"))
    assert "Tous les mercredis" in public


def test_a_rule_that_gives_no_date_is_refused_and_nothing_is_saved(client, agent):
    before = CollectionSchedule.objects.count()
    response = client.post(
        f"{BO}nouveau/",
        schedule_post(
            agent.hazebrouck,
            weekday=Weekday.TUESDAY,
            valid_from="2026-03-04",  # a Wednesday…
            valid_until="2026-03-09",  # …to the next Monday: no Tuesday
        ),
    )
    assert response.status_code == 200
    assert (
        "Cette règle ne donne aucune date de collecte du 04/03/2026 au 09/03/2026 "
        "(tous les mardis). Vérifiez le jour, la semaine et la période de validité."
    ) in text(response)
    assert CollectionSchedule.objects.count() == before
    assert not AuditEntry.objects.exists()


def test_a_rule_whose_only_date_is_a_cancelled_holiday_is_refused(client, agent):
    CalendarSettings.objects.create(authority=agent.ccfi, holiday_policy=HolidayPolicy.CANCELLED)
    response = client.post(
        f"{BO}nouveau/",
        schedule_post(
            agent.hazebrouck,
            weekday=Weekday.THURSDAY,
            valid_from="2026-05-14",  # Ascension
            valid_until="2026-05-14",
        ),
    )
    assert "ne donne aucune date de collecte" in text(response)
    assert not CollectionSchedule.objects.filter(commune=agent.hazebrouck).exists()


def test_a_monthly_rule_that_misses_its_week_is_refused(client, agent):
    response = client.post(
        f"{BO}nouveau/",
        schedule_post(
            agent.hazebrouck,
            kind=RuleKind.MONTHLY,
            ordinal=-1,
            weekday=Weekday.MONDAY,
            valid_from="2026-03-01",
            valid_until="2026-03-20",
        ),
    )
    assert "Cette règle ne donne aucune date de collecte" in text(response)
    assert "(le dernier lundi du mois)" in text(response)


@pytest.mark.parametrize(
    "overrides, message",
    [
        (
            {"kind": RuleKind.BIWEEKLY},
            "Une semaine sur deux : indiquez la date d'une collecte, à partir de laquelle",
        ),
        (
            {"kind": RuleKind.BIWEEKLY, "reference_date": "2026-01-08"},
            "Le 08/01/2026 est un jeudi : indiquez un mercredi, le jour de collecte choisi.",
        ),
        ({"kind": RuleKind.MONTHLY}, "Une fois par mois : choisissez la semaine du mois"),
        ({"valid_until": "2025-12-31"}, "La fin de validité doit suivre son début."),
        ({"valid_from": "31/02/2026"}, "Saisissez une date valide"),
    ],
)
def test_incomplete_rules_get_a_french_message(client, agent, overrides, message):
    response = client.post(f"{BO}nouveau/", schedule_post(agent.hazebrouck, **overrides))
    assert message in text(response)
    assert 'aria-invalid="true"' in text(response)
    assert not CollectionSchedule.objects.filter(commune=agent.hazebrouck).exists()


def test_a_sector_of_another_commune_is_refused(client, agent):
    sector = Sector.objects.create(
        authority=agent.ccfi, commune=agent.bailleul, name="Centre", streets="Grand-Place"
    )
    response = client.post(f"{BO}nouveau/", schedule_post(agent.hazebrouck, sector=sector.pk))
    assert "Ce secteur est à Bailleul" in text(response)


def test_an_agent_cannot_use_a_commune_or_sector_of_another_authority(client, agent):
    other = Sector.objects.create(
        authority=agent.pilat, commune=agent.pelussin, name="Haut", streets="rue du Pilat"
    )
    response = client.post(f"{BO}nouveau/", schedule_post(agent.pelussin))
    assert "Sélectionnez un choix valide" in text(response)
    response = client.post(f"{BO}nouveau/", schedule_post(agent.bailleul, sector=other.pk))
    assert "Sélectionnez un choix valide" in text(response)
    assert (
        not CollectionSchedule.objects.filter(authority=agent.ccfi)
        .exclude(pk__in=[agent.om.pk, agent.recyclables.pk])
        .exists()
    )


def test_an_agent_edits_a_schedule_and_it_is_audited(client, agent):
    response = client.post(
        f"{BO}{agent.om.pk}/",
        schedule_post(agent.bailleul, weekday=Weekday.FRIDAY, valid_from="2024-01-01"),
        follow=True,
    )
    assert "Calendrier enregistré." in text(response)
    agent.om.refresh_from_db()
    assert agent.om.weekday == Weekday.FRIDAY
    entry = AuditEntry.objects.get(action="calendar.schedule_update")
    assert entry.before == {"weekday": Weekday.TUESDAY} and entry.after == {
        "weekday": Weekday.FRIDAY
    }
    assert "Tous les vendredis" in plain(client.get("/flandre-interieure/calendriers/59043/"))


def test_an_agent_deletes_a_schedule(client, agent):
    confirm = client.get(f"{BO}{agent.om.pk}/supprimer/")
    assert "Supprimer ce calendrier ?" in text(confirm)
    client.post(f"{BO}{agent.om.pk}/supprimer/")
    assert not CollectionSchedule.objects.filter(pk=agent.om.pk).exists()
    assert AuditEntry.objects.get(action="calendar.schedule_delete").before["flux"] == (
        Flux.ORDURES_MENAGERES
    )


def test_an_agent_sets_the_holiday_policy(client, agent):
    page = text(client.get(f"{BO}jours-feries/"))
    assert "Reportée au lendemain" in page and "Avancée à la veille" in page
    client.post(f"{BO}jours-feries/", {"holiday_policy": HolidayPolicy.CANCELLED})
    assert CalendarSettings.objects.get(authority=agent.ccfi).holiday_policy == "cancelled"
    entry = AuditEntry.objects.get(action="calendar.holiday_policy")
    assert entry.before == {"holiday_policy": "next_day"}
    assert "Une collecte prévue un jour férié n'a pas lieu." in plain(
        client.get("/flandre-interieure/calendriers/59043/")
    )
    assert CalendarSettings.objects.filter(authority=agent.pilat).count() == 0


def test_an_agent_adds_and_removes_an_exception(client, agent):
    tuesday = datetime.date(2026, 6, 2)
    response = client.post(
        f"{BO}{agent.om.pk}/exceptions/",
        {
            "exception-date": tuesday.isoformat(),
            "exception-kind": "moved",
            "exception-moved_to": "2026-06-03",
            "exception-reason": "Ducasse",
        },
        follow=True,
    )
    assert "Exception enregistrée" in text(response)
    exception = ScheduleException.objects.get(schedule=agent.om)
    assert exception.date == tuesday and exception.moved_to == datetime.date(2026, 6, 3)
    assert exception.authority == agent.ccfi
    assert AuditEntry.objects.filter(action="calendar.exception_add").count() == 1
    client.post(f"{BO}exceptions/{exception.pk}/supprimer/")
    assert not ScheduleException.objects.exists()
    assert AuditEntry.objects.filter(action="calendar.exception_remove").count() == 1


def test_an_exception_on_a_day_without_collection_is_refused(client, agent):
    response = client.post(
        f"{BO}{agent.om.pk}/exceptions/",
        {"exception-date": "2026-06-03", "exception-kind": "cancelled"},
    )
    assert "Aucune collecte de ce calendrier n'est prévue le 03/06/2026 (tous les mardis)." in (
        text(response)
    )
    response = client.post(
        f"{BO}{agent.om.pk}/exceptions/",
        {"exception-date": "2026-06-02", "exception-kind": "moved"},
    )
    assert "Indiquez la nouvelle date de la collecte." in text(response)
    assert not ScheduleException.objects.exists()


def test_an_exception_on_the_date_a_holiday_moved_to_is_stored_on_the_rule_date(client, agent):
    # Thursday 14/05/2026 (Ascension) moves to Friday 15: the agent types the 15th.
    thursdays = make_schedule(agent.ccfi, agent.hazebrouck, weekday=Weekday.THURSDAY)
    client.post(
        f"{BO}{thursdays.pk}/exceptions/",
        {"exception-date": "2026-05-15", "exception-kind": "cancelled", "exception-reason": "X"},
    )
    assert ScheduleException.objects.get(schedule=thursdays).date == datetime.date(2026, 5, 14)


def test_an_agent_manages_sectors(client, agent):
    response = client.post(
        f"{BO}secteurs/",
        {
            "commune": agent.hazebrouck.pk,
            "name": " Nord ",
            "streets": "rue de la Gare\n\n  rue  Pasteur ",
        },
        follow=True,
    )
    assert "Secteur créé" in text(response)
    sector = Sector.objects.get(authority=agent.ccfi)
    assert sector.name == "Nord" and sector.streets == "rue de la Gare\nrue Pasteur"
    duplicate = client.post(
        f"{BO}secteurs/", {"commune": agent.hazebrouck.pk, "name": "Nord", "streets": "x"}
    )
    assert "Hazebrouck a déjà un secteur de ce nom." in text(duplicate)
    client.post(
        f"{BO}secteurs/{sector.pk}/",
        {"commune": agent.hazebrouck.pk, "name": "Nord", "streets": "rue de la Gare"},
    )
    sector.refresh_from_db()
    assert sector.streets == "rue de la Gare"
    make_schedule(agent.ccfi, agent.hazebrouck, sector=sector)
    response = client.post(f"{BO}secteurs/{sector.pk}/supprimer/", follow=True)
    assert "Ce secteur a encore des calendriers" in text(response)
    assert Sector.objects.filter(pk=sector.pk).exists()
    CollectionSchedule.objects.filter(sector=sector).delete()
    client.post(f"{BO}secteurs/{sector.pk}/supprimer/")
    assert not Sector.objects.filter(pk=sector.pk).exists()
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"calendar.sector_create", "calendar.sector_update", "calendar.sector_delete"} <= actions


@pytest.fixture
def ccfi_objects(world):
    sector = Sector.objects.create(
        authority=world.ccfi, commune=world.hazebrouck, name="Nord", streets="rue de la Gare"
    )
    exception = ScheduleException.objects.create(
        authority=world.ccfi, schedule=world.om, date=datetime.date(2026, 6, 2), kind="cancelled"
    )
    return {"schedule": world.om.pk, "sector": sector.pk, "exception": exception.pk}


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", "{schedule}/"),
        ("post", "{schedule}/"),
        ("get", "{schedule}/supprimer/"),
        ("post", "{schedule}/supprimer/"),
        ("post", "{schedule}/exceptions/"),
        ("post", "exceptions/{exception}/supprimer/"),
        ("get", "secteurs/{sector}/"),
        ("post", "secteurs/{sector}/"),
        ("get", "secteurs/{sector}/supprimer/"),
        ("post", "secteurs/{sector}/supprimer/"),
        ("get", "nouveau/?commune=59043"),
    ],
)
def test_an_agent_of_another_authority_gets_404(client, world, ccfi_objects, method, path):
    client.force_login(world.pilat_agent)
    response = getattr(client, method)(BO + path.format(**ccfi_objects))
    assert response.status_code == 404
    assert CollectionSchedule.objects.filter(pk=world.om.pk, weekday=Weekday.TUESDAY).exists()
    assert ScheduleException.objects.filter(pk=ccfi_objects["exception"]).exists()
    assert Sector.objects.filter(pk=ccfi_objects["sector"]).exists()
    assert not AuditEntry.objects.exists()


def test_the_list_filters_by_commune(client, agent):
    make_schedule(agent.ccfi, agent.hazebrouck, Flux.VERRE)
    page = plain(client.get(BO, {"commune": "59295"}))
    assert "Modifier : Hazebrouck" in page and "Modifier : Bailleul" not in page
    assert "Modifier : Bailleul" in plain(client.get(BO, {"commune": "<junk>"}))


def test_an_agent_sees_only_his_authority_schedules(client, world):
    client.force_login(world.pilat_agent)
    page = plain(client.get(BO))
    assert "Pélussin" in page and "Bailleul" not in page


@pytest.mark.parametrize("who", ["anonymous", "resident"])
@pytest.mark.parametrize("path", ["", "nouveau/", "jours-feries/", "secteurs/", "1/"])
def test_a_non_agent_is_sent_to_the_agents_login(client, world, who, path):
    if who == "resident":
        client.force_login(world.resident)
    response = client.get(BO + path)
    assert response.status_code == 302
    assert response["Location"].startswith("/backoffice/connexion/?next=/backoffice/calendriers/")


def test_the_list_pages_take_a_constant_number_of_queries(
    client, agent, django_assert_max_num_queries
):
    for weekday in range(5):
        sector = Sector.objects.create(
            authority=agent.ccfi, commune=agent.hazebrouck, name=f"S{weekday}", streets="a"
        )
        make_schedule(agent.ccfi, agent.hazebrouck, sector=sector, weekday=weekday)
        make_schedule(agent.ccfi, agent.bailleul, Flux.VERRE, weekday=weekday)
    with django_assert_max_num_queries(8):
        page = plain(client.get(BO))
    assert page.count("Modifier :") == 12
    with django_assert_max_num_queries(8):
        page = plain(client.get(f"{BO}secteurs/"))
    assert "S4" in page
    with django_assert_max_num_queries(10):
        client.get(f"{BO}{agent.om.pk}/")


def test_a_fortnightly_rule_keeps_its_reference_date_and_shows_it(client, agent):
    response = client.post(
        f"{BO}nouveau/",
        schedule_post(
            agent.hazebrouck,
            kind=RuleKind.BIWEEKLY,
            weekday=Weekday.FRIDAY,
            reference_date="2027-01-01",
        ),
    )
    assert response.status_code == 302
    schedule = CollectionSchedule.objects.get(commune=agent.hazebrouck)
    assert schedule.reference_date == datetime.date(2027, 1, 1)
    page = text(client.get(f"{BO}{schedule.pk}/"))
    assert 'value="2027-01-01"' in page
    assert "Date d'une collecte (une semaine sur deux)" in page


def test_a_weekly_rule_forgets_a_reference_date_posted_with_it(client, agent):
    client.post(f"{BO}nouveau/", schedule_post(agent.hazebrouck, reference_date="2026-01-07"))
    assert CollectionSchedule.objects.get(commune=agent.hazebrouck).reference_date is None
