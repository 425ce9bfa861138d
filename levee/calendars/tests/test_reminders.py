"""« Rappels par email »: the resident picks flux and emails in « Mon calendrier de
collecte »; the periodic job sends the evening reminder and the change alerts through the
outbox, once each; the signed link of every email unsubscribes without a login."""

import datetime
import re

import pytest
from django.core.management import call_command
from django.utils import timezone

from levee.accounts.models import AccountAccess
from levee.calendars.models import CollectionReminder, CollectionReminderSent, ScheduleException
from levee.calendars.rules import ChangeKind, Weekday
from levee.calendars.services_reminders import collection_reminders_send, reminder_set
from levee.collection.models import Flux
from levee.mailing.models import OutboxMessage
from testkit import make_account

from .conftest import make_schedule, plain, text

pytestmark = pytest.mark.django_db

PAGE = "/flandre-interieure/espace/calendrier/"
POST = PAGE + "rappels/"


def at(year, month, day, hour):
    return timezone.make_aware(datetime.datetime(year, month, day, hour, 0))


# Wednesday 9 December 2026: Bailleul's recyclables are collected on Thursday the 10th.
EVE = at(2026, 12, 9, 18)
MORNING = at(2026, 12, 9, 9)


@pytest.fixture
def resident(client, world):
    client.force_login(world.resident)
    return world


@pytest.fixture
def opted_in(world):
    return reminder_set(
        account=world.account,
        user=world.resident,
        fluxes=[Flux.RECYCLABLES],
        on_eve=True,
        on_change=True,
    )


def mails(template):
    return list(OutboxMessage.objects.filter(template=template).order_by("pk"))


def unsubscribe_path(message) -> str:
    return re.search(r"https?://[^/]+(/\S+/desabonnement/\S+/)", message.body_text).group(1)


# --- Opting in --------------------------------------------------------------------------


def test_the_page_offers_the_household_flux_and_both_emails(client, resident):
    page = plain(client.get(PAGE))
    assert "Recevoir un rappel par email" in page
    assert "Ordures ménagères" in page and "Emballages recyclables" in page
    assert "Un email la veille de chaque collecte" in page
    assert "Un email quand un jour de collecte change" in page
    assert "Verre" not in page  # Bailleul has no glass collection


def test_a_resident_opts_in_and_reads_his_choice_back(client, resident):
    response = client.post(
        POST, {"fluxes": [Flux.RECYCLABLES], "on_eve": "on", "on_change": "on"}, follow=True
    )
    assert "Vos rappels seront envoyés à dupont59@gmail.com." in plain(response)
    reminder = CollectionReminder.objects.get()
    assert reminder.account == resident.account and reminder.user == resident.resident
    assert reminder.fluxes == [Flux.RECYCLABLES] and reminder.on_eve and reminder.on_change
    assert reminder.authority == resident.ccfi
    page = text(client.get(PAGE))
    assert re.search(r'value="recyclables"[^>]*checked', page)
    assert not re.search(r'value="ordures_menageres"[^>]*checked', page)


def test_an_email_without_a_flux_is_refused_in_french(client, resident):
    response = client.post(POST, {"on_eve": "on"})
    assert response.status_code == 200
    assert "Cochez au moins une collecte dont être prévenu." in plain(response)
    assert not CollectionReminder.objects.exists()


def test_a_flux_the_household_has_no_calendar_for_is_refused(client, resident):
    response = client.post(POST, {"fluxes": [Flux.VERRE], "on_eve": "on"})
    assert response.status_code == 200 and 'aria-invalid="true"' in text(response)
    assert not CollectionReminder.objects.exists()


def test_unticking_both_emails_stops_the_reminders(client, resident, opted_in):
    response = client.post(POST, {"fluxes": [Flux.RECYCLABLES]}, follow=True)
    assert "Vous ne recevrez plus de rappels des collectes." in plain(response)
    opted_in.refresh_from_db()
    assert not opted_in.on_eve and not opted_in.on_change
    assert collection_reminders_send(now=EVE) == {"eve": 0, "change": 0}


def test_another_household_account_is_not_reached(client, resident):
    other = make_account(resident.ccfi, code="OTHER01", portal_key="AUTREKEY")
    response = client.post(f"{POST}?compte={other.pk}", {"fluxes": ["recyclables"], "on_eve": "on"})
    assert response.status_code == 404
    assert not CollectionReminder.objects.exists()


# --- The evening reminder ---------------------------------------------------------------


def test_the_evening_before_a_collection_one_reminder_goes_out_once(world, opted_in):
    assert collection_reminders_send(now=EVE) == {"eve": 1, "change": 0}
    assert collection_reminders_send(now=EVE + datetime.timedelta(hours=2)) == {
        "eve": 0,
        "change": 0,
    }
    [message] = mails("collection_reminder")
    assert message.to == "dupont59@gmail.com" and message.authority == world.ccfi
    assert message.subject == "Collecte demain, jeudi 10 décembre : Emballages recyclables — CCFI"
    assert "Demain, jeudi 10 décembre 2026, à Bailleul, collecte de :" in message.body_text
    assert "- Emballages recyclables" in message.body_text
    assert "Ordures ménagères" not in message.body_text
    assert "/flandre-interieure/espace/calendrier/?compte=" in message.body_text
    assert "Ne plus recevoir ces emails" in message.body_html
    assert CollectionReminderSent.objects.filter(kind="eve").count() == 1


def test_no_reminder_before_the_evening_nor_for_a_flux_not_picked(world, opted_in):
    assert collection_reminders_send(now=MORNING)["eve"] == 0
    # Monday 14 December 18:00: OM is collected on Tuesday, but he picked recyclables only.
    assert collection_reminders_send(now=at(2026, 12, 14, 18))["eve"] == 0
    assert not mails("collection_reminder")


def test_a_reminder_follows_a_holiday_shift(world):
    # Christmas 2026 is a Friday: Bailleul's Friday collection goes to Saturday the 26th.
    make_schedule(world.ccfi, world.bailleul, Flux.PAPIER, weekday=Weekday.FRIDAY)
    reminder_set(
        account=world.account,
        user=world.resident,
        fluxes=[Flux.PAPIER],
        on_eve=True,
        on_change=False,
    )
    assert collection_reminders_send(now=at(2026, 12, 24, 18))["eve"] == 0
    assert collection_reminders_send(now=at(2026, 12, 25, 18))["eve"] == 1
    [message] = mails("collection_reminder")
    assert "Demain, samedi 26 décembre 2026" in message.body_text
    assert "(au lieu du vendredi 25 décembre 2026 : Noël)" in message.body_text


def test_the_periodic_command_runs_the_job(world, opted_in, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: EVE)
    call_command("periodic")
    assert len(mails("collection_reminder")) == 1


# --- The change alert -------------------------------------------------------------------


def test_an_exception_is_announced_once_and_again_if_it_moves_again(world, opted_in):
    exception = ScheduleException.objects.create(
        authority=world.ccfi,
        schedule=world.recyclables,
        date=datetime.date(2026, 12, 24),
        kind=ChangeKind.MOVED,
        moved_to=datetime.date(2026, 12, 23),
        reason="Marché de Noël",
    )
    assert collection_reminders_send(now=MORNING) == {"eve": 0, "change": 1}
    assert collection_reminders_send(now=MORNING)["change"] == 0
    [message] = mails("collection_change")
    assert message.subject == "Un jour de collecte change à Bailleul — CCFI"
    assert (
        "- Emballages recyclables : la collecte du jeudi 24 décembre 2026 a lieu le mercredi "
        "23 décembre 2026 (Marché de Noël)." in message.body_text
    )
    exception.kind, exception.moved_to = ChangeKind.CANCELLED, None
    exception.save(update_fields=["kind", "moved_to"])
    assert collection_reminders_send(now=MORNING)["change"] == 1
    assert "la collecte du jeudi 24 décembre 2026 est annulée (Marché de Noël)." in (
        mails("collection_change")[1].body_text
    )


def test_no_alert_without_the_choice(world):
    reminder_set(
        account=world.account,
        user=world.resident,
        fluxes=[Flux.RECYCLABLES],
        on_eve=True,
        on_change=False,
    )
    ScheduleException.objects.create(
        authority=world.ccfi,
        schedule=world.recyclables,
        date=datetime.date(2026, 12, 24),
        kind=ChangeKind.CANCELLED,
    )
    assert collection_reminders_send(now=MORNING)["change"] == 0


def test_a_login_that_no_longer_reaches_the_account_gets_nothing(world, opted_in):
    AccountAccess.objects.filter(user=world.resident, account=world.account).delete()
    assert collection_reminders_send(now=EVE) == {"eve": 0, "change": 0}


# --- Unsubscribing ----------------------------------------------------------------------


def test_the_link_of_the_email_unsubscribes_without_a_login(client, world, opted_in):
    collection_reminders_send(now=EVE)
    path = unsubscribe_path(mails("collection_reminder")[0])
    page = plain(client.get(path))
    assert "Ne plus recevoir les rappels des collectes" in page
    opted_in.refresh_from_db()
    assert opted_in.on_eve  # opening the link changes nothing: a mail filter may open it
    response = client.post(path)
    assert "C'est fait : vous ne recevrez plus de rappels ni d'alertes des collectes." in plain(
        response
    )
    opted_in.refresh_from_db()
    assert not opted_in.on_eve and not opted_in.on_change
    assert client.post(path).status_code == 200  # a second click says the same
    assert collection_reminders_send(now=at(2026, 12, 23, 18)) == {"eve": 0, "change": 0}


def test_a_forged_or_foreign_link_is_a_404(client, world, opted_in):
    collection_reminders_send(now=EVE)
    path = unsubscribe_path(mails("collection_reminder")[0])
    assert client.get(path.replace("/flandre-interieure/", "/pilat-rhodanien/")).status_code == 404
    token = path.rstrip("/").rsplit("/", 1)[1]
    forged = path.replace(token, token[:-2] + ("aa" if token[-2:] != "aa" else "bb"))
    assert client.post(forged).status_code == 404
    opted_in.refresh_from_db()
    assert opted_in.on_eve
