"""A move accepted for a later date (Marie Martin's on 3 December for the 20th, issue 12
item 1): the household lives at the new dwelling from the move's date, so the old
subscription's last day is the 19th — billed once, said the same everywhere; the back office
reads the subscription the move ends as it is now; « Mon forfait » announces the coming one;
the history, the flash and the email speak of the end to come; a termination says which
subscription it ends."""

import datetime

import pytest
from django.utils import timezone

from levee.billing.models import Invoice, RunKind
from levee.billing.services import billing_run_create, billing_run_execute
from levee.billing.tests.billing_builders import make_household_bin, make_tariff
from levee.mailing.models import OutboxMessage
from levee.payments.mandates import mandate_create
from levee.payments.models import DebitSchedule, PaymentSettings
from levee.requests import services
from levee.requests.models import ServiceRequest
from levee.subscribers.models import Subscription
from testkit import proof_upload

from .conftest import BO, move_out_post, plain, submit, termination_post

pytestmark = pytest.mark.django_db

SPACE = "/flandre-interieure/espace/"
MOVE = f"{SPACE}mes-services/je-signale-mon-demenagement/"
TERMINATE = f"{SPACE}mes-services/je-resilie-mon-abonnement/"
MOVES_ON = datetime.date(2026, 12, 20)


def day(d: int) -> datetime.date:
    return datetime.date(2026, 12, d)


@pytest.fixture
def today(monkeypatch):
    """Django's clock on 3 December 2026, the day the agent accepts."""
    moment = datetime.datetime(2026, 12, 3, 10, tzinfo=datetime.UTC)
    monkeypatch.setattr(timezone, "now", lambda: moment)


def move_asked(world) -> ServiceRequest:
    """Within the authority: a new subscription at Hazebrouck from the 20th."""
    return submit(
        world,
        "move_out",
        move_out_post(
            ended_on=MOVES_ON.isoformat(),
            postal_code="59190",
            city="Hazebrouck",
            street="rue de la Gare",
            number="3",
        ),
        {"proof": proof_upload()},
    )


def accepted(world) -> ServiceRequest:
    service_request = move_asked(world)
    services.service_request_accept(service_request=service_request, agent_user=world.ccfi_agent)
    return service_request


def test_a_move_s_day_is_billed_once(world, today):
    subscription = world.account.subscriptions.get()
    make_household_bin(subscription, chip="E0040001", delivered_on=datetime.date(2022, 6, 30))
    make_tariff(world.ccfi, year=2026)
    accepted(world)
    old, new = Subscription.objects.filter(account=world.account).order_by("pk")
    assert (old.ended_on, new.subscribed_on) == (day(19), MOVES_ON)
    assert old.bins.get().removed_on == day(19)
    run = billing_run_create(
        authority=world.ccfi, kind=RunKind.SIMULATION, year=2026, half=None, issued_on=day(31)
    )
    billing_run_execute(run_id=run.pk)
    labels = {
        invoice.subscription.reference: invoice.lines.first().label
        for invoice in Invoice.objects.filter(
            run=run, subscription__account=world.account
        ).select_related("subscription")
    }
    assert labels == {
        "00001": "Abonnement Bac 120 L du 01/01/2026 au 19/12/2026",
        "00001-2": "Abonnement Bac 120 L du 20/12/2026 au 31/12/2026",
    }


def test_a_termination_s_date_stays_its_last_day(world, today):
    termination = submit(
        world,
        "termination",
        termination_post(ended_on=day(31).isoformat()),
        {"proof": proof_upload()},
    )
    services.service_request_accept(service_request=termination, agent_user=world.ccfi_agent)
    assert world.account.subscriptions.get().ended_on == day(31)


def test_a_move_on_the_subscription_s_first_day_is_told_next_to_the_date(client, resident, today):
    Subscription.objects.filter(account=resident.account).update(subscribed_on=day(20))
    response = client.post(
        MOVE, {**move_out_post(ended_on=day(20).isoformat()), "proof": proof_upload()}
    )
    assert (
        "La date doit suivre le début de votre abonnement (20/12/2026) : il prend fin la veille."
        in plain(response)
    )
    assert not ServiceRequest.objects.exists()


def test_today_reads_the_subscription_the_move_ends_as_it_is_now(client, world, today):
    service_request = accepted(world)
    client.force_login(world.ccfi_agent)
    response = client.get(f"{BO}{service_request.pk}/")
    rows = {row.label: row for row in response.context["rows"]}
    # On 3 December she still lives at the old dwelling, whose end is now set.
    assert rows["Adresse habitation"].today == "29 ROUTE DE MÉTEREN 59270 BAILLEUL"
    assert rows["Fin de l'abonnement"].today == "19/12/2026"
    assert rows["Fin de l'abonnement"].requested == "19/12/2026"
    assert "Date du déménagement 20/12/2026" in plain(response)


def test_mon_forfait_announces_the_coming_subscription(client, resident, today):
    make_household_bin(resident.account.subscriptions.get(), chip="E0040001", delivered_on=day(1))
    make_tariff(resident.ccfi, year=2026)
    accepted(resident)
    page = plain(client.get(f"{SPACE}mes-bacs-levees/"))
    forfait = page[page.index("Mon forfait en 2026") :]
    assert "au 19/12/2026" in forfait.split("Mes levées")[0]
    assert (
        "À partir du 20 décembre 2026 : 3 RUE DE LA GARE 59190 HAZEBROUCK, forfait Bac 120 L."
        in forfait
    )


def test_mon_forfait_announces_it_without_a_tariff_too(client, resident, today):
    accepted(resident)
    page = plain(client.get(f"{SPACE}mes-bacs-levees/"))
    assert "Mon forfait À partir du 20 décembre 2026 : 3 RUE DE LA GARE 59190 HAZEBROUCK" in page


def test_the_history_the_flash_and_the_email_speak_of_the_end_to_come(client, world, today):
    PaymentSettings.objects.update_or_create(
        authority=world.ccfi, defaults={"creditor_identifier": "FR12ZZZ123456"}
    )
    mandate_create(
        account=world.account,
        schedule=DebitSchedule.PER_INVOICE,
        holder_name="Pierre DUPONT",
        iban="FR7630006000011234567890189",
        bic="AGRIFRPPXXX",
        signed_on=day(1),
    )
    make_household_bin(world.account.subscriptions.get(), chip="E0040001", delivered_on=day(1))
    service_request = move_asked(world)
    client.force_login(world.ccfi_agent)
    page = plain(client.post(f"{BO}{service_request.pk}/accepter/", follow=True))
    said = (
        "Abonnement 00001 : se terminera le 19 décembre 2026, 1 bac retiré ce jour-là. "
        "Nouvel abonnement 00001-2 au 3 RUE DE LA GARE 59190 HAZEBROUCK à partir du "
        "20 décembre 2026."
    )
    assert said in page  # the flash and the history
    assert service_request.status_changes.last().note == said
    assert "terminé le 20/12/2026" not in page and "terminé le 19/12/2026" not in page
    mail = OutboxMessage.objects.get(template="request_accepted").body_text
    assert (
        "votre abonnement à votre adresse actuelle prend fin le 19 décembre 2026, veille de "
        "votre déménagement" in mail
    )
    assert (
        "Votre nouvel abonnement 00001-2 au 3 RUE DE LA GARE 59190 HAZEBROUCK commence le "
        "20 décembre 2026" in mail
    )
    assert "Votre mandat de prélèvement continue" in mail


def test_the_email_says_nothing_of_a_mandate_when_there_is_none(world, today):
    Subscription.objects.filter(account=world.account).update(payment_mode="facture")
    accepted(world)
    mail = OutboxMessage.objects.get(template="request_accepted").body_text
    assert "Votre nouvel abonnement 00001-2" in mail
    assert "mandat" not in mail


def test_a_termination_after_the_move_says_which_subscription_it_ends(client, resident, today):
    accepted(resident)
    page = plain(client.get(TERMINATE))
    assert (
        "Cette demande concerne votre nouvel abonnement 00001-2 au 3 RUE DE LA GARE 59190 "
        "HAZEBROUCK, qui commence le 20 décembre 2026. Votre abonnement actuel prend déjà fin "
        "le 19 décembre 2026." in page
    )
    response = client.post(
        TERMINATE, {**termination_post(ended_on=day(10).isoformat()), "proof": proof_upload()}
    )
    assert "La date ne peut pas précéder le début de votre abonnement (20/12/2026)." in plain(
        response
    )
    assert ServiceRequest.objects.filter(kind="termination").count() == 0
    page = plain(client.get(MOVE))  # a second move too
    assert "Cette demande concerne votre nouvel abonnement 00001-2" in page


def test_no_notice_before_any_move(client, resident, today):
    assert "Cette demande concerne" not in plain(client.get(TERMINATE))
