"""« Ajouter un bac », « Remplacer », « Retirer »: the bins an agent changes on an account's
page, each refused with a French message tied to its field, each audited on the account."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from levee.audit.models import AuditEntry
from levee.audit.sentences import entries_describe
from levee.collection.models import Bin, Flux, Lift
from levee.collection.services import bin_add, bin_remove, bin_replace
from levee.subscribers.services import subscription_end
from testkit import ccfi_world, make_account, make_user, pilat_world

from .conftest import make_bin

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def world():
    ccfi, account = ccfi_world()
    agent = make_user("accueil@flandre.example.org")
    return ccfi, account, account.subscriptions.get(), agent


def add(subscription, agent, **fields):
    values = {
        "flux": Flux.ORDURES_MENAGERES,
        "volume_litres": 120,
        "chip_number": "E0049999",
        "tank_number": "",
        "delivered_on": D(2024, 3, 1),
        **fields,
    }
    return bin_add(subscription=subscription, agent_user=agent, **values)


def refusal(call) -> dict:
    with pytest.raises(ValidationError) as caught:
        call()
    return {field: " ".join(messages) for field, messages in caught.value.message_dict.items()}


def test_an_agent_adds_a_bin_to_a_subscription_and_the_journal_says_so(world):
    ccfi, account, subscription, agent = world
    added = add(subscription, agent, chip_number=" E0049999 ")
    assert (added.account, added.chip_number, added.removed_on) == (account, "E0049999", None)
    entry = AuditEntry.objects.get(action="account.bin_add")
    assert entry.object_id == str(account.pk) and entry.actor == agent
    (line,) = entries_describe([entry])
    assert line.text == (
        "bac Ordures ménagères 120 L (E0049999) livré le 01/03/2024 ajouté à l'abonnement "
        "00001 du compte 00001 (DUPONT PIERRE)"
    )


def test_a_bin_needs_a_chip_or_a_tank_number_and_a_volume(world):
    _, _, subscription, agent = world
    errors = refusal(lambda: add(subscription, agent, chip_number="", tank_number=""))
    assert errors == {"chip_number": "Indiquez le n° de puce du bac, ou son n° de cuve."}
    errors = refusal(lambda: add(subscription, agent, volume_litres=0))
    assert errors == {"volume_litres": "Indiquez le volume du bac, en litres."}
    errors = refusal(lambda: add(subscription, agent, flux="metaux"))
    assert errors == {"flux": "Choisissez un flux de la liste."}
    assert not Bin.objects.exists() and not AuditEntry.objects.exists()


def test_a_chip_or_tank_number_taken_by_another_bin_is_refused_with_its_account(world):
    ccfi, account, subscription, agent = world
    other = make_account(ccfi, code="00002", portal_key="ABCDEFGH", last_name="MARTIN")
    make_bin(other, chip="E0040001", removed_on=D(2023, 1, 1))  # removed still counts
    make_bin(other, tank="C-4471")
    errors = refusal(lambda: add(subscription, agent, chip_number="E0040001"))
    assert errors["chip_number"].startswith(
        "Le n° de puce E0040001 est déjà celui d'un bac du compte 00002"
    )
    errors = refusal(lambda: add(subscription, agent, chip_number="", tank_number="C-4471"))
    assert "Le n° de cuve C-4471 est déjà celui d'un bac du compte 00002" in errors["tank_number"]


def test_the_same_numbers_are_free_in_another_authority(world):
    _, _, subscription, agent = world
    pilat, pelussin = pilat_world()
    make_bin(make_account(pilat, commune=pelussin, postal_code="42410"), chip="E0049999")
    assert add(subscription, agent).chip_number == "E0049999"


def test_a_bin_is_not_delivered_before_its_subscription_nor_after_its_end(world):
    _, _, subscription, agent = world
    errors = refusal(lambda: add(subscription, agent, delivered_on=D(2022, 6, 29)))
    assert errors == {
        "delivered_on": "L'abonnement 00001 commence le 30/06/2022 : un bac ne peut y être "
        "livré avant."
    }
    subscription_end(subscription=subscription, on=D(2024, 1, 31))
    errors = refusal(lambda: add(subscription, agent, delivered_on=D(2024, 2, 1)))
    assert errors == {
        "delivered_on": "L'abonnement 00001 est terminé le 31/01/2024 : un bac ne peut y être "
        "livré après."
    }


def test_a_bin_is_removed_on_a_day_not_before_its_delivery_and_only_once(world):
    _, account, _, agent = world
    b = make_bin(account, chip="E0040001", delivered_on=D(2022, 6, 30))
    errors = refusal(lambda: bin_remove(bin=b, removed_on=D(2022, 6, 1), agent_user=agent))
    assert errors == {
        "removed_on": "Ce bac a été livré le 30/06/2022 : il ne peut être retiré avant."
    }
    bin_remove(bin=b, removed_on=D(2024, 4, 2), agent_user=agent)
    b.refresh_from_db()
    assert b.removed_on == D(2024, 4, 2)
    (line,) = entries_describe(AuditEntry.objects.filter(action="account.bin_remove"))
    assert line.text == (
        "bac Ordures ménagères 120 L (E0040001) de l'abonnement 00001 du compte 00001 "
        "(DUPONT PIERRE) retiré le 02/04/2024"
    )
    errors = refusal(lambda: bin_remove(bin=b, removed_on=D(2024, 5, 1), agent_user=agent))
    assert errors == {"removed_on": "Ce bac a déjà été retiré le 02/04/2024."}


def test_a_replaced_bin_keeps_its_lifts_and_the_new_one_is_delivered_that_day(world):
    ccfi, account, _, agent = world
    old = make_bin(account, chip="E0040001", delivered_on=D(2022, 6, 30))
    lift = Lift.objects.create(
        authority=ccfi,
        bin=old,
        lifted_at=datetime.datetime(2024, 3, 5, 7, tzinfo=datetime.UTC),
        net_weight_grams=12_500,
    )
    new = bin_replace(
        bin=old,
        replaced_on=D(2024, 4, 2),
        volume_litres=240,
        chip_number="E0041111",
        tank_number="",
        agent_user=agent,
    )
    old.refresh_from_db()
    lift.refresh_from_db()
    assert old.removed_on == D(2024, 4, 2) and lift.bin_id == old.pk
    assert (new.flux, new.volume_litres, new.delivered_on, new.subscription_id) == (
        Flux.ORDURES_MENAGERES,
        240,
        D(2024, 4, 2),
        old.subscription_id,
    )
    (line,) = entries_describe(AuditEntry.objects.filter(action="account.bin_replace"))
    assert line.text == (
        "bac Ordures ménagères 120 L (E0040001) de l'abonnement 00001 du compte 00001 "
        "(DUPONT PIERRE) remplacé le 02/04/2024 par le bac Ordures ménagères 240 L (E0041111)"
    )


def test_a_replacement_refused_changes_nothing(world):
    _, account, _, agent = world
    old = make_bin(account, chip="E0040001", delivered_on=D(2022, 6, 30))
    errors = refusal(
        lambda: bin_replace(
            bin=old,
            replaced_on=D(2024, 4, 2),
            volume_litres=240,
            chip_number="E0040001",  # its own number: a new bin needs a new one
            tank_number="",
            agent_user=agent,
        )
    )
    assert "Le n° de puce E0040001 est déjà celui d'un bac du compte 00001" in errors["chip_number"]
    errors = refusal(
        lambda: bin_replace(
            bin=old,
            replaced_on=D(2022, 1, 1),
            volume_litres=240,
            chip_number="E0041111",
            tank_number="",
            agent_user=agent,
        )
    )
    assert errors == {
        "replaced_on": "Ce bac a été livré le 30/06/2022 : il ne peut être retiré avant."
    }
    old.refresh_from_db()
    assert old.removed_on is None and Bin.objects.count() == 1
    assert not AuditEntry.objects.exists()
