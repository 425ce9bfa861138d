"""« J'emménage » asks the « Volume du bac » from the authority's plans, and the new
subscription is billed with it; one opened without it is listed before a run as an anomaly
and billed once an agent sets its « Forfait » on the account's page (issue 12, item 4)."""

import datetime
import re

import pytest
from django.utils import timezone

from levee.billing.models import Invoice, RunKind
from levee.billing.services import billing_run_create, billing_run_execute
from levee.billing.tests.billing_builders import make_tariff
from levee.mailing.models import OutboxMessage
from levee.requests.models import ServiceRequest
from levee.subscribers.models import Subscription
from testkit import altcha_payload, proof_upload

from .conftest import BO, plain, text

pytestmark = pytest.mark.django_db

MOVE_IN = "/flandre-interieure/j-emmenage/"
YEAR = timezone.localdate().year


def post(**overrides) -> dict:
    data = {
        "q": "59190 Hazebrouck",
        "number": "3",
        "number_suffix": "",
        "street": "rue de la Gare",
        "complement": "",
        "moved_in_on": timezone.localdate().isoformat(),
        "plan_volume_litres": "240",
        "civility": "Mme",
        "last_name": "Durand",
        "first_name": "Jeanne",
        "household_size": "3",
        "email": "jeanne.durand@example.org",
        "phone": "06 11 22 33 44",
        "proof": proof_upload("bail.png"),
        "altcha": altcha_payload(),
    }
    data.update(overrides)
    return data


def ask_confirm_accept(client, world, **overrides) -> Subscription:
    response = client.post(MOVE_IN, post(**overrides), follow=True)
    assert response.redirect_chain, plain(response)
    message = OutboxMessage.objects.filter(template="move_in_confirm").latest("pk")
    confirm = re.search(r"https?://[^/\s]+(/\S*/j-emmenage/confirmer/\S*)", message.body_text)
    client.get(confirm.group(1))
    asked = ServiceRequest.objects.get()
    client.force_login(world.ccfi_agent)
    page = plain(client.get(f"{BO}{asked.pk}/"))
    client.post(f"{BO}{asked.pk}/accepter/")
    client.logout()
    asked.refresh_from_db()
    return page, Subscription.objects.get(account=asked.account)


def simulate(authority):
    run = billing_run_create(
        authority=authority,
        kind=RunKind.SIMULATION,
        year=YEAR,
        half=None,
        issued_on=datetime.date(YEAR, 12, 31),
    )
    return billing_run_execute(run_id=run.pk)


def test_the_form_offers_the_volumes_of_the_plans_in_force(client, world):
    make_tariff(world.ccfi, year=YEAR)
    page = text(client.get(MOVE_IN))
    assert '<label for="id_plan_volume_litres">Volume du bac' in page
    assert '<option value="120">Bac 120 L</option>' in page
    assert '<option value="240">Bac 240 L</option>' in page


@pytest.mark.parametrize(
    "volume, message",
    [("", "Choisissez le volume du bac."), ("180", "Choisissez un volume de la liste.")],
)
def test_a_volume_missing_or_not_in_the_grid_is_refused_next_to_the_field(
    client, world, volume, message
):
    make_tariff(world.ccfi, year=YEAR)
    response = client.post(MOVE_IN, post(plan_volume_litres=volume))
    page = text(response)
    assert response.status_code == 200 and not ServiceRequest.objects.exists()
    assert f'<p class="error" id="id_plan_volume_litres_error">{message}</p>' in page
    assert 'aria-describedby="id_plan_volume_litres_helptext id_plan_volume_litres_error"' in page


def test_without_a_grid_the_volume_is_not_asked(client, world):
    assert "Volume du bac" not in text(client.get(MOVE_IN))


def test_the_volume_chosen_bills_the_new_subscription(client, world):
    make_tariff(world.ccfi, year=YEAR)
    page, subscription = ask_confirm_accept(client, world)
    assert "Volume du bac — 240 L" in page
    assert "avec un abonnement Bac (forfait bac de 240 L) au 3 " in page
    assert subscription.plan_volume_litres == 240 and not subscription.bins.exists()
    run = simulate(world.ccfi)
    assert subscription.reference not in run.unplanned_references
    invoice = Invoice.objects.get(subscription=subscription)
    assert invoice.lines.first().label.startswith("Abonnement Bac 240 L du ")


def test_one_opened_without_a_volume_is_an_anomaly_until_the_agent_sets_its_plan(
    client, world, django_capture_on_commit_callbacks
):
    # Asked before the authority had its grid: nothing to choose then.
    page, subscription = ask_confirm_accept(client, world, plan_volume_litres="")
    assert subscription.plan_volume_litres is None
    make_tariff(world.ccfi, year=YEAR)
    run = simulate(world.ccfi)
    assert subscription.reference in run.unplanned_references
    assert not Invoice.objects.filter(subscription=subscription).exists()

    from levee.agents.models import Agent
    from levee.agents.roles import AgentRole

    Agent.objects.filter(user=world.ccfi_agent).update(role=AgentRole.ADMINISTRATEUR)
    client.force_login(world.ccfi_agent)
    form = plain(client.get("/backoffice/facturation/nouvelle/"))
    assert "Abonnements sans forfait" in form
    assert f"{subscription.reference} — DURAND JEANNE" in form
    account_page = f"/backoffice/comptes/{subscription.account_id}/"
    assert f'href="{account_page}#account-subscriptions"' in text(
        client.get("/backoffice/facturation/nouvelle/")
    )
    assert "Aucun forfait" in plain(client.get(account_page))
    response = client.post(
        f"{account_page}abonnements/{subscription.pk}/forfait/",
        {f"forfait-{subscription.pk}-plan_volume_litres": "120"},
    )
    assert response.status_code == 302
    subscription.refresh_from_db()
    assert subscription.plan_volume_litres == 120
    form = plain(client.get("/backoffice/facturation/nouvelle/"))
    assert "Abonnements sans forfait" in form and "DURAND JEANNE" not in form

    run = simulate(world.ccfi)
    assert subscription.reference not in run.unplanned_references
    invoice = Invoice.objects.get(subscription=subscription, run=run)
    assert invoice.lines.first().label.startswith("Abonnement Bac 120 L du ")


def test_a_move_within_the_authority_keeps_the_household_s_plan_and_is_billed(world):
    from levee.collection.tests.conftest import make_bin
    from levee.requests import services

    from .conftest import move_out_post, submit

    make_tariff(world.ccfi, year=YEAR)
    make_bin(world.account, chip="E0040001", volume=240)
    on = timezone.localdate()
    service_request = submit(
        world,
        "move_out",
        move_out_post(
            ended_on=on.isoformat(),
            postal_code="59190",
            city="Hazebrouck",
            street="rue de la Gare",
            number="3",
        ),
        {"proof": proof_upload()},
    )
    services.service_request_accept(service_request=service_request, agent_user=world.ccfi_agent)
    opened = Subscription.objects.get(account=world.account, commune__insee="59295")
    assert opened.plan_volume_litres == 240 and not opened.bins.exists()
    run = simulate(world.ccfi)
    assert opened.reference not in run.unplanned_references
    invoice = Invoice.objects.get(subscription=opened, run=run)
    assert invoice.lines.first().label.startswith("Abonnement Bac 240 L du ")
