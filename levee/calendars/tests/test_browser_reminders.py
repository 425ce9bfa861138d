"""« Recevoir un rappel par email » in Chromium, with the keyboard: the resident opts in from
« Mon calendrier de collecte », the evening reminder arrives, and its link unsubscribes him
without a login. Every page passes axe-core (WCAG 2.1 AA)."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from levee.authorities.models import Commune
from levee.calendars.models import CollectionReminder
from levee.calendars.public_holidays import public_holidays
from levee.calendars.rules import RuleKind, Weekday
from levee.calendars.services_reminders import collection_reminders_send
from levee.collection.models import Flux
from levee.mailing.models import OutboxMessage
from testkit import PASSWORD, ccfi_world, field, make_user

from .conftest import make_schedule

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def household(live_server, communes):
    ccfi, account = ccfi_world()
    bailleul = Commune.objects.get(insee="59043")
    make_schedule(ccfi, bailleul)  # OM every Tuesday
    make_schedule(
        ccfi,
        bailleul,
        Flux.RECYCLABLES,
        kind=RuleKind.BIWEEKLY,
        weekday=Weekday.THURSDAY,
        reference_date=datetime.date(2026, 1, 8),
    )
    make_user("dupont59@gmail.com", accounts=[account])
    return account


def test_a_resident_opts_in_gets_the_reminder_and_unsubscribes(page, household, assert_accessible):
    page.goto("/flandre-interieure/connexion/")
    field(page, "Identifiant (adresse mail)").fill("dupont59@gmail.com")
    field(page, "Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    page.goto("/flandre-interieure/espace/calendrier/")
    expect(page.get_by_role("heading", name="Recevoir un rappel par email")).to_be_visible()
    assert_accessible(page)

    # An email without a flux: the French message, next to the flux.
    page.get_by_label("Un email la veille de chaque collecte").focus()
    page.keyboard.press("Space")
    page.get_by_role("button", name="Enregistrer mes rappels").press("Enter")
    expect(page.get_by_text("Cochez au moins une collecte dont être prévenu.")).to_be_visible()
    assert_accessible(page)

    page.get_by_label("Ordures ménagères").focus()
    page.keyboard.press("Space")
    expect(page.get_by_label("Un email la veille de chaque collecte")).to_be_checked()
    page.get_by_label("Un email quand un jour de collecte change").check()
    page.get_by_role("button", name="Enregistrer mes rappels").press("Enter")
    expect(page.get_by_text("Vos rappels seront envoyés à dupont59@gmail.com.")).to_be_visible()
    expect(page.get_by_label("Ordures ménagères")).to_be_checked()
    expect(page.get_by_label("Emballages recyclables")).not_to_be_checked()
    assert_accessible(page)
    assert CollectionReminder.objects.get().fluxes == [Flux.ORDURES_MENAGERES]

    # The Monday evening before the next Tuesday's collection.
    today = timezone.localdate()
    monday = today + datetime.timedelta(days=(0 - today.weekday()) % 7 or 7)
    holidays = public_holidays("59", monday, monday + datetime.timedelta(days=30))
    while monday + datetime.timedelta(days=1) in holidays:
        monday += datetime.timedelta(days=7)
    evening = timezone.make_aware(datetime.datetime.combine(monday, datetime.time(18)))
    assert collection_reminders_send(now=evening)["eve"] == 1
    message = OutboxMessage.objects.get(template="collection_reminder")
    assert message.subject.startswith("Collecte demain, mardi ")
    link = re.search(
        r"(/flandre-interieure/calendriers/rappels/desabonnement/\S+/)", message.body_text
    )

    page.context.clear_cookies()
    page.goto(link.group(1))
    expect(
        page.get_by_role("heading", name="Ne plus recevoir les rappels des collectes")
    ).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Me désabonner").press("Enter")
    expect(page.get_by_role("status")).to_contain_text("vous ne recevrez plus de rappels")
    assert_accessible(page)
    reminder = CollectionReminder.objects.get()
    assert not reminder.on_eve and not reminder.on_change
