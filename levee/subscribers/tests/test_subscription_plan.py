"""A subscription's plan (forfait): chosen at J'emménage, kept by a move, set by an agent."""

import datetime

import pytest

from levee.audit.models import AuditEntry
from levee.audit.sentences import entries_describe
from levee.collection.tests.conftest import make_bin
from levee.subscribers.models import SubscriptionKind
from levee.subscribers.services import (
    PlanRefused,
    subscription_end,
    subscription_open,
    subscription_plan_set,
)
from testkit import ccfi_world, make_user

pytestmark = pytest.mark.django_db
D = datetime.date


def open_at_hazebrouck(account, **fields):
    return subscription_open(
        account=account,
        commune=account.authority.communes.get(insee="59295"),
        on=D(2024, 5, 1),
        postal_code="59190",
        street="rue de Lille",
        number="5",
        **fields,
    )


def test_a_move_keeps_the_plan_chosen_for_the_previous_subscription():
    _, account = ccfi_world()
    previous = account.subscriptions.get()
    previous.plan_volume_litres = 240
    previous.save()
    subscription_end(subscription=previous, on=D(2024, 4, 30))
    assert open_at_hazebrouck(account).plan_volume_litres == 240


def test_a_move_keeps_the_volume_of_the_previous_household_waste_bin():
    _, account = ccfi_world()
    make_bin(account, chip="E0040001", volume=180)
    subscription_end(subscription=account.subscriptions.get(), on=D(2024, 4, 30))
    assert open_at_hazebrouck(account).plan_volume_litres == 180


def test_a_plan_given_wins_and_a_bag_subscription_has_no_volume():
    _, account = ccfi_world()
    make_bin(account, chip="E0040001", volume=180)
    assert open_at_hazebrouck(account, plan_volume_litres=120).plan_volume_litres == 120
    bag = open_at_hazebrouck(account, kind=SubscriptionKind.SAC, plan_volume_litres=120)
    assert bag.plan_volume_litres is None


def test_an_agent_sets_the_plan_and_the_journal_says_it_in_french():
    _, account = ccfi_world()
    agent = make_user("accueil@flandre.example.org")
    subscription = account.subscriptions.get()
    assert subscription_plan_set(
        subscription=subscription, plan_volume_litres=240, agent_user=agent
    )
    assert not subscription_plan_set(
        subscription=subscription, plan_volume_litres=240, agent_user=agent
    )
    subscription.refresh_from_db()
    assert subscription.plan_volume_litres == 240
    subscription_plan_set(subscription=subscription, plan_volume_litres=None, agent_user=agent)
    lines = entries_describe(AuditEntry.objects.order_by("pk"))
    assert [line.text for line in lines] == [
        "forfait de l'abonnement 00001 du compte 00001 (DUPONT PIERRE) : selon le volume du "
        "bac → bac de 240 L",
        "forfait de l'abonnement 00001 du compte 00001 (DUPONT PIERRE) : bac de 240 L → selon "
        "le volume du bac",
    ]


def test_a_bag_subscription_has_no_volume_to_choose():
    _, account = ccfi_world()
    subscription = account.subscriptions.get()
    subscription.kind = SubscriptionKind.SAC
    subscription.save()
    with pytest.raises(PlanRefused, match="Un abonnement Sac est facturé au forfait de son type"):
        subscription_plan_set(
            subscription=subscription,
            plan_volume_litres=120,
            agent_user=make_user("accueil@flandre.example.org"),
        )
    assert not AuditEntry.objects.exists()
