"""A subscription's own plan (chosen at J'emménage, kept by a move, set by an agent) prices
it before its household-waste bin does; without either it is listed among « Abonnements
sans forfait » before a run, and the run still reports it as unbilled (issue 12, item 4)."""

import datetime

import pytest

from levee.billing import selectors
from levee.billing.estimates import invoice_estimate
from levee.billing.models import Invoice, RunKind
from levee.billing.services import billing_run_create, billing_run_execute
from testkit import ccfi_world

from .billing_builders import (
    every_other_week,
    make_household_bin,
    make_lifts,
    make_subscription,
    make_tariff,
)

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def world():
    authority, account = ccfi_world()
    subscription = account.subscriptions.get()
    om = make_household_bin(subscription, chip="E0040001", delivered_on=D(2022, 6, 30))
    make_lifts(om, every_other_week(2023, 26))
    return authority, account, subscription, make_tariff(authority)


def plan_on(tariff, subscription):
    plan = selectors.plan_for(tariff=tariff, subscription=subscription, on=D(2023, 6, 1))
    return plan.label if plan else None


def run(authority):
    created = billing_run_create(
        authority=authority, kind=RunKind.SIMULATION, year=2023, half=None, issued_on=D(2023, 7, 2)
    )
    return billing_run_execute(run_id=created.pk)


def test_the_subscription_s_own_plan_wins_over_its_bin_s_volume(world):
    authority, account, subscription, tariff = world
    assert plan_on(tariff, subscription) == "Bac 120 L"  # as before: the bin's volume
    subscription.plan_volume_litres = 240
    subscription.save()
    assert plan_on(tariff, subscription) == "Bac 240 L"
    invoice = Invoice.objects.get(run=run(authority), subscription=subscription)
    assert invoice.lines.first().label == "Abonnement Bac 240 L du 01/01/2023 au 31/12/2023"


def test_a_plan_volume_the_grid_lacks_leaves_it_unbilled_and_reported(world):
    authority, account, subscription, tariff = world
    subscription.plan_volume_litres = 180
    subscription.save()
    assert plan_on(tariff, subscription) is None
    done = run(authority)
    assert done.unplanned_references == ["00001"]
    assert "1 abonnement non facturé faute de forfait dans la grille tarifaire : 00001." in (
        done.message
    )


def test_a_subscription_without_a_bin_is_billed_with_its_plan(world):
    authority, account, _, tariff = world
    new = make_subscription(account, reference="00001-2", subscribed_on=D(2023, 7, 1))
    assert plan_on(tariff, new) is None
    new.plan_volume_litres = 120
    new.save()
    invoice = Invoice.objects.get(run=run(authority), subscription=new)
    assert invoice.lines.first().label == "Abonnement Bac 120 L du 01/07/2023 au 31/12/2023"


def test_the_estimate_reads_the_same_plan(world):
    authority, account, subscription, _ = world
    make_tariff(authority, year=2024)
    subscription.plan_volume_litres = 240
    subscription.save()
    estimate = invoice_estimate(subscription=subscription, today=D(2024, 7, 1))
    assert estimate.plan_label == "Bac 240 L"


def test_the_subscriptions_without_a_plan_are_those_a_run_would_skip(world):
    authority, account, subscription, tariff = world
    make_subscription(account, reference="N1", subscribed_on=D(2023, 1, 1))
    odd = make_subscription(account, reference="N2", subscribed_on=D(2023, 1, 1))
    make_household_bin(odd, volume=770, chip="E0049999")
    off_grid = make_subscription(account, reference="N3", subscribed_on=D(2023, 1, 1))
    off_grid.plan_volume_litres = 180
    off_grid.save()
    planned = make_subscription(account, reference="N4", subscribed_on=D(2023, 1, 1))
    planned.plan_volume_litres = 240
    planned.save()
    make_subscription(account, reference="S1", kind="sac", subscribed_on=D(2023, 1, 1))
    make_subscription(
        account, reference="E1", subscribed_on=D(2020, 1, 1), ended_on=D(2022, 12, 31)
    )
    make_subscription(account, reference="F1", subscribed_on=D(2024, 1, 1))
    listed = [
        s.reference for s in selectors.subscriptions_without_plan(authority=authority, year=2023)
    ]
    assert listed == ["N1", "N2", "N3"]
    assert sorted(run(authority).unplanned_references) == listed
    assert selectors.subscriptions_without_plan(authority=authority, year=2022) is None


def test_the_run_form_lists_them_for_the_year_asked_with_links_to_the_accounts(world, client):
    from levee.agents.models import Agent
    from levee.agents.roles import AgentRole
    from testkit import make_user

    authority, account, subscription, tariff = world
    make_subscription(account, reference="N1", subscribed_on=D(2023, 1, 1))
    biller = make_user("facturation@flandre.example.org")
    Agent.objects.create(authority=authority, user=biller, role=AgentRole.FACTURATION)
    client.force_login(biller)
    # The year typed (the form sent back incomplete) names the grid the list is read against.
    page = client.post("/backoffice/facturation/nouvelle/", {"year": "2023"}).content.decode()
    assert '<h2 id="anomalies">Abonnements sans forfait</h2>' in page
    # Read before the agent chooses what to run: the list comes ahead of the form.
    assert page.index('id="anomalies"') < page.index('name="kind"')
    assert (
        "1 abonnement en cours en 2023 n'a pas de forfait de la grille 2023 : il ne sera "
        "pas facturé." in page
    )
    assert f'href="/backoffice/comptes/{account.pk}/#account-subscriptions">N1 — DUPONT PIERRE' in (
        page
    )
    type(subscription).objects.filter(reference="N1").update(plan_volume_litres=120)
    page = client.post("/backoffice/facturation/nouvelle/", {"year": "2023"}).content.decode()
    assert "Tous les abonnements en cours en 2023 ont un forfait de la grille 2023." in page
    # A year without a grid: a run refuses to start, nothing to list.
    page = client.post("/backoffice/facturation/nouvelle/", {"year": "2021"}).content.decode()
    assert "Abonnements sans forfait" not in page
