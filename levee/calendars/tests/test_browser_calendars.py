"""The calendars in Chromium: a resident finds his commune's calendar and its printable
year; an agent changes a collection day with the keyboard alone; the resident's space shows
it with his private link. Every page passes axe-core (WCAG 2.1 AA)."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from levee.agents.models import Agent
from levee.agents.roles import AgentRole
from levee.authorities.models import Commune
from levee.calendars.models import Sector
from levee.calendars.rules import RuleKind, Weekday
from levee.collection.models import Flux
from testkit import PASSWORD, ccfi_world, field, make_user

from .conftest import make_schedule

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def calendars(live_server, communes):
    ccfi, account = ccfi_world()
    bailleul = Commune.objects.get(insee="59043")
    hazebrouck = Commune.objects.get(insee="59295")
    make_schedule(ccfi, bailleul)
    make_schedule(
        ccfi,
        bailleul,
        Flux.RECYCLABLES,
        kind=RuleKind.BIWEEKLY,
        weekday=Weekday.THURSDAY,
        reference_date=datetime.date(2026, 1, 8),
    )
    make_schedule(ccfi, bailleul, Flux.VERRE, kind=RuleKind.MONTHLY, weekday=0, ordinal=1)
    nord = Sector.objects.create(
        authority=ccfi, commune=hazebrouck, name="Nord", streets="rue de la Gare"
    )
    make_schedule(ccfi, hazebrouck, sector=nord)
    Agent.objects.create(
        authority=ccfi,
        user=make_user("agent.flandre@example.org"),
        role=AgentRole.ADMINISTRATEUR,
    )
    make_user("dupont59@gmail.com", accounts=[account])
    return ccfi


def test_public_calendars_and_the_agent_keyboard_edit(page, calendars, assert_accessible):
    year = timezone.localdate().year

    page.goto("/flandre-interieure/calendriers/")
    assert_accessible(page)
    page.get_by_role("link", name="Bailleul").click()
    expect(page.get_by_role("heading", name="Calendrier des collectes — Bailleul")).to_be_visible()
    expect(page.get_by_role("cell", name="Tous les mardis")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name=re.compile(f"Calendrier {year} à imprimer")).click()
    expect(page.get_by_role("heading", name=f"Collectes {year} — Bailleul")).to_be_visible()
    expect(page.locator("table.month")).to_have_count(12)
    expect(page.get_by_role("button", name="Imprimer")).to_be_visible()  # shown by the script
    assert_accessible(page)
    page.emulate_media(media="print")
    expect(page.get_by_role("button", name="Imprimer")).to_be_hidden()
    page.emulate_media(media="screen")

    page.goto("/flandre-interieure/calendriers/59295/")
    expect(page.get_by_role("heading", name="Secteur Nord")).to_be_visible()
    assert_accessible(page)

    # The agent logs in and edits Bailleul's household waste without a mouse.
    page.goto("/backoffice/connexion/")
    field(page, "Adresse email").focus()
    page.keyboard.type("agent.flandre@example.org")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Tableau de bord")).to_be_visible()
    page.goto("/backoffice/calendriers/")
    expect(page.get_by_role("heading", name="Calendriers des collectes")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name=re.compile("Modifier : Bailleul, Ordures ménagères")).focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=re.compile("Calendrier — Bailleul"))).to_be_visible()
    assert_accessible(page)

    parity = field(page, "Date d'une collecte (une semaine sur deux)")
    expect(parity).to_be_hidden()  # weekly: the script hides what does not apply
    frequency = field(page, "Fréquence")
    frequency.focus()
    page.keyboard.press("ArrowDown")  # « Une semaine sur deux »
    expect(frequency).to_have_value("biweekly")
    expect(parity).to_be_visible()
    page.keyboard.press("ArrowUp")  # back to « Toutes les semaines »
    expect(parity).to_be_hidden()
    day = field(page, "Jour de collecte")
    day.focus()
    page.keyboard.type("Vendredi")
    expect(day).to_have_value(str(Weekday.FRIDAY))
    page.get_by_role("button", name="Enregistrer").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text("Calendrier enregistré.")).to_be_visible()
    assert_accessible(page)

    # A rule that gives no date is refused with its reason, and nothing is saved.
    saturday = datetime.date(year + 1, 3, 1)
    saturday += datetime.timedelta(days=(5 - saturday.weekday()) % 7)
    field(page, "Valable à partir du").fill(saturday.isoformat())
    field(page, "Valable jusqu'au").fill((saturday + datetime.timedelta(days=5)).isoformat())
    page.get_by_role("button", name="Enregistrer").press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("ne donne aucune date de collecte")
    assert_accessible(page)

    page.goto("/flandre-interieure/calendriers/59043/")
    expect(page.get_by_role("cell", name="Tous les vendredis")).to_be_visible()

    # The resident's space: his next collections and his private link.
    page.context.clear_cookies()
    page.goto("/flandre-interieure/connexion/")
    field(page, "Identifiant (adresse mail)").fill("dupont59@gmail.com")
    field(page, "Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    page.goto("/flandre-interieure/espace/calendrier/")
    expect(page.get_by_role("heading", name="Mes prochaines collectes")).to_be_visible()
    page.get_by_role("button", name="Obtenir mon lien d'agenda").click()
    expect(field(page, "Adresse de mon agenda des collectes")).to_have_value(
        re.compile(r"/flandre-interieure/calendriers/abonnement/[\w-]+\.ics$")
    )
    assert_accessible(page)
    page.get_by_role("link", name="Révoquer ce lien").click()
    expect(page.get_by_role("heading", name="Révoquer mon lien d'agenda")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Révoquer ce lien").click()
    expect(page.get_by_text("L'ancien lien ne fonctionne plus.")).to_be_visible()
