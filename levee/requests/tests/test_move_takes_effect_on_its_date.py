"""A move accepted for a later date takes effect on that date: until then the space (its
header, « Accueil », the next collections, the private feed, « Mon forfait ») reads the
current dwelling and announces the coming one; on the date it switches by itself. The
household's way of paying follows it to the new subscription; a move and a termination of
the same subscription never wait at once."""

import datetime
import re

import pytest
from django.utils import timezone

from levee.calendars.rules import Weekday
from levee.collection.tests.conftest import make_bin
from levee.payments.mandates import mandate_create, mandate_revoke
from levee.payments.models import DebitSchedule, PaymentSettings
from levee.requests import services
from levee.requests.models import ServiceRequest
from levee.subscribers.models import PaymentMode, Subscription
from levee.subscribers.selectors import (
    subscription_coming,
    subscription_current,
    subscription_running,
)
from testkit import proof_upload

from .conftest import BO, move_out_post, plain, submit, termination_post

pytestmark = pytest.mark.django_db

SPACE = "/flandre-interieure/espace/"
MOVE = f"{SPACE}mes-services/je-signale-mon-demenagement/"
TERMINATE = f"{SPACE}mes-services/je-resilie-mon-abonnement/"
MOVES_ON = datetime.date(2026, 12, 20)
IBAN = "FR7630006000011234567890189"


def day(d: int) -> datetime.date:
    return datetime.date(2026, 12, d)


@pytest.fixture
def today(monkeypatch):
    """The project's way of setting today: Django's clock, moved by the test."""

    def set_today(on: datetime.date) -> None:
        moment = datetime.datetime(on.year, on.month, on.day, 10, tzinfo=datetime.UTC)
        monkeypatch.setattr(timezone, "now", lambda: moment)

    set_today(day(2))
    return set_today


def relogin(client, world) -> None:
    """A new session: the one opened days earlier has ended (idle too long)."""
    client.logout()
    client.force_login(world.resident)


def move_to_hazebrouck(world):
    """The resident declares, on 2 December, a move on the 20th to Hazebrouck (a commune of
    the authority); the agent accepts it the same day."""
    service_request = submit(
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
    services.service_request_accept(service_request=service_request, agent_user=world.ccfi_agent)
    return service_request


def test_the_current_subscription_switches_on_the_move_date(world, today):
    move_to_hazebrouck(world)
    old, new = Subscription.objects.filter(account=world.account).order_by("pk")
    assert new.subscribed_on == MOVES_ON
    assert old.ended_on == day(19)  # its last day: the household lives at the new one from the 20th
    for on, current, coming in [
        (day(2), old, new),
        (day(19), old, new),
        (day(20), new, None),  # the move's day: the new dwelling
        (day(31), new, None),
    ]:
        assert subscription_current(world.account, today=on) == current, on
        assert subscription_coming(world.account, today=on) == coming, on
    # What a termination or a second move would end: the subscription with no end date.
    assert subscription_running(world.account) == new


def test_only_a_subscription_to_come_is_the_current_one(world, today):
    Subscription.objects.filter(account=world.account).update(subscribed_on=day(20))
    subscription = subscription_current(world.account, today=day(2))
    assert subscription is not None and subscription.reference == "00001"
    assert subscription_coming(world.account, today=day(2)) is None  # it is shown already


def test_an_ended_subscription_stays_current_until_another_starts(world, today):
    Subscription.objects.filter(account=world.account).update(ended_on=day(1))
    assert subscription_current(world.account, today=day(2)).reference == "00001"


def test_the_space_keeps_the_current_dwelling_and_announces_the_coming_one(client, resident, today):
    move_to_hazebrouck(resident)
    page = plain(client.get(SPACE))
    assert "Adresse habitation : 29 ROUTE DE MÉTEREN 59270 BAILLEUL" in page
    assert "À partir du 20 décembre 2026 : 3 RUE DE LA GARE 59190 HAZEBROUCK" in page
    assert "Terminé le : 19 décembre 2026" in page
    assert (
        "Votre nouvel abonnement commence le 20 décembre 2026 au 3 RUE DE LA GARE 59190 "
        "HAZEBROUCK. Jusqu'à cette date, votre espace, vos collectes et votre forfait restent "
        "ceux du 29 ROUTE DE MÉTEREN 59270 BAILLEUL." in page
    )
    # « Mes bacs/levées » (« Mon forfait », the estimate) reads the same subscription.
    production = client.get(f"{SPACE}mes-bacs-levees/")
    assert production.context["subscription"].reference == "00001"

    today(day(20))
    relogin(client, resident)
    page = plain(client.get(SPACE))
    assert "Adresse habitation : 3 RUE DE LA GARE 59190 HAZEBROUCK" in page
    assert "À partir du" not in page and "Votre nouvel abonnement" not in page
    assert client.get(f"{SPACE}mes-bacs-levees/").context["subscription"].reference == "00001-2"


def test_the_next_collections_and_the_feed_follow_the_move_date(client, resident, today):
    from levee.calendars.tests.conftest import make_schedule
    from levee.calendars.tests.test_ics import parse

    bailleul = resident.account.subscriptions.get().commune
    hazebrouck = resident.ccfi.communes.get(insee="59295")
    make_schedule(resident.ccfi, bailleul, weekday=Weekday.TUESDAY)
    make_schedule(resident.ccfi, hazebrouck, weekday=Weekday.MONDAY)
    move_to_hazebrouck(resident)
    today(day(16))
    relogin(client, resident)

    home = client.get(SPACE)
    assert home.context["next_collections"].commune == bailleul
    response = client.post(f"{SPACE}calendrier/lien/", follow=True)
    url = re.search(r'id="feed-url"[^>]*value="[^"]*(/flandre[^"]+)"', response.content.decode())
    client.logout()
    events = parse(client.get(url.group(1)).content.decode())["events"]
    dates = {}
    for event in events:
        on = datetime.date.fromisoformat(
            re.sub(r"(\d{4})(\d{2})(\d{2})", r"\1-\2-\3", event["DTSTART;VALUE=DATE"])
        )
        dates[on] = event["DESCRIPTION"]
    assert dates[day(15)].endswith("— Bailleul")  # a Tuesday before the move
    assert day(14) not in dates  # no Monday at Hazebrouck before the move
    assert dates[day(21)].endswith("— Hazebrouck")  # the first Monday there
    assert day(22) not in dates  # Bailleul's Tuesdays end with the move
    assert all(d.endswith("— Bailleul") == (on < MOVES_ON) for on, d in dates.items()), (
        "every collection at the dwelling of its date"
    )

    today(day(20))
    relogin(client, resident)
    assert client.get(SPACE).context["next_collections"].commune == hazebrouck


def test_the_mandate_and_payment_mode_follow_the_household(client, resident, today):
    PaymentSettings.objects.update_or_create(
        authority=resident.ccfi, defaults={"creditor_identifier": "FR12ZZZ123456"}
    )
    mandate = mandate_create(
        account=resident.account,
        schedule=DebitSchedule.PER_INVOICE,
        holder_name="Pierre DUPONT",
        iban=IBAN,
        bic="AGRIFRPPXXX",
        signed_on=day(1),
    ).mandate
    move_to_hazebrouck(resident)
    old, new = Subscription.objects.filter(account=resident.account).order_by("pk")
    assert (new.payment_mode, new.iban) == (PaymentMode.DIRECT_DEBIT, IBAN)
    assert (old.payment_mode, old.iban) == (PaymentMode.DIRECT_DEBIT, IBAN)
    page = plain(client.get(f"{SPACE}mes-informations/"))
    assert "Mode de paiement non renseigné" not in page

    # The resident still stops the debit: both subscriptions go back to paying on invoice.
    mandate_revoke(mandate=mandate)
    old.refresh_from_db()
    new.refresh_from_db()
    assert (new.payment_mode, new.iban) == (PaymentMode.INVOICE, "")
    assert old.payment_mode == PaymentMode.INVOICE


def test_a_move_keeps_paying_on_invoice_when_it_was(world, today):
    Subscription.objects.filter(account=world.account).update(payment_mode=PaymentMode.INVOICE)
    make_bin(world.account, chip="E0040001")
    move_to_hazebrouck(world)
    new = Subscription.objects.get(account=world.account, reference="00001-2")
    assert new.payment_mode == PaymentMode.INVOICE


def test_a_move_is_not_offered_while_a_termination_waits(client, resident, today):
    submit(
        resident,
        "termination",
        termination_post(ended_on=day(31).isoformat()),
        {"proof": proof_upload()},
    )
    page = plain(client.get(MOVE))
    assert (
        "Vous avez déjà une demande « Résiliation de mon abonnement » du 02/12/2026, au statut "
        "EN COURS, qui met déjà fin à votre abonnement : elle doit être traitée avant que vous "
        "puissiez faire une demande « Déménagement »." in page
    )
    assert "Date du déménagement" not in page  # no form to fill in vain
    client.post(MOVE, {**move_out_post(ended_on=day(20).isoformat()), "proof": proof_upload()})
    assert list(ServiceRequest.objects.values_list("kind", flat=True)) == ["termination"]


def test_a_termination_is_not_offered_while_a_move_waits(client, resident, today):
    submit(
        resident, "move_out", move_out_post(ended_on=day(20).isoformat()), {"proof": proof_upload()}
    )
    page = plain(client.get(TERMINATE))
    assert "Vous avez déjà une demande « Déménagement » du 02/12/2026" in page
    assert "Date de résiliation" not in page


def test_the_agent_is_warned_when_both_wait_and_the_second_is_refused(client, world, today):
    # Two made before the form said so (or at once): the agent reads it before deciding.
    move = submit(
        world, "move_out", move_out_post(ended_on=day(20).isoformat()), {"proof": proof_upload()}
    )
    termination = submit(
        world,
        "termination",
        termination_post(ended_on=day(31).isoformat()),
        {"proof": proof_upload()},
    )
    client.force_login(world.ccfi_agent)
    page = plain(client.get(f"{BO}{move.pk}/"))
    assert (
        "Attention : la demande « Résiliation de mon abonnement » du 02/12/2026 attend aussi "
        "pour ce compte et met fin au même abonnement. N'en acceptez qu'une : après l'une, "
        "l'autre sera refusée." in page
    )
    services.service_request_accept(service_request=move, agent_user=world.ccfi_agent)
    response = client.post(f"{BO}{termination.pk}/accepter/", follow=True)
    assert "L'abonnement 00001 est déjà terminé (le 19/12/2026)" in plain(response)


def test_a_termination_after_one_accepted_for_a_later_date_says_when_it_ends(
    client, resident, today
):
    termination = submit(
        resident,
        "termination",
        termination_post(ended_on=day(31).isoformat()),
        {"proof": proof_upload()},
    )
    services.service_request_accept(service_request=termination, agent_user=resident.ccfi_agent)
    response = client.post(
        TERMINATE, {**termination_post(ended_on=day(20).isoformat()), "proof": proof_upload()}
    )
    assert (
        "Votre abonnement prend déjà fin le 31/12/2026 : il n'y a pas d'autre abonnement à "
        "arrêter." in plain(response)
    )
    assert ServiceRequest.objects.count() == 1


def test_the_eve_of_the_move_reminds_the_new_dwellings_collection(world, today):
    from levee.calendars.services_reminders import collection_reminders_send, reminder_set
    from levee.calendars.tests.conftest import make_schedule
    from levee.collection.models import Flux
    from levee.mailing.models import OutboxMessage

    bailleul = world.account.subscriptions.get().commune
    hazebrouck = world.ccfi.communes.get(insee="59295")
    make_schedule(world.ccfi, bailleul, weekday=Weekday.SATURDAY)
    make_schedule(world.ccfi, hazebrouck, weekday=Weekday.SUNDAY)  # the 20th, moving day
    move_to_hazebrouck(world)
    reminder_set(
        account=world.account,
        user=world.resident,
        fluxes=[Flux.ORDURES_MENAGERES],
        on_eve=True,
        on_change=False,
    )
    eve = timezone.make_aware(datetime.datetime(2026, 12, 19, 18))
    assert collection_reminders_send(now=eve)["eve"] == 1
    mail = OutboxMessage.objects.get(template="collection_reminder")
    assert "Demain, dimanche 20 décembre 2026, à Hazebrouck" in mail.body_text
