"""In Chromium: an agent at the counter adds a household's first bin on its account's page,
is told next to the field when the chip number is taken, and sets its « Forfait »; axe
checks each page (issue 12, item 4)."""

import datetime

import pytest
from playwright.sync_api import expect

from levee.agents.models import Agent
from levee.agents.roles import AgentRole
from levee.billing.tests.billing_builders import make_tariff
from levee.collection.models import Bin
from levee.collection.tests.conftest import make_bin
from levee.subscribers.models import Subscription
from testkit import PASSWORD, ccfi_world, field, make_account, make_user

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def counter(live_server):
    authority, account = ccfi_world()
    make_tariff(authority, year=datetime.date.today().year)
    neighbour = make_account(authority, code="00002", portal_key="ABCDEFGH", last_name="MARTIN")
    make_bin(neighbour, chip="E0040001")
    user = make_user("accueil@flandre.example.org")
    Agent.objects.create(authority=authority, user=user, role=AgentRole.ACCUEIL)
    return user, account


def test_an_agent_adds_a_bin_and_sets_the_plan(page, live_server, counter, assert_accessible):
    user, account = counter
    page.goto("/backoffice/")
    field(page, "Adresse email").fill(user.email)
    field(page, "Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    page.goto(f"/backoffice/comptes/{account.pk}/")
    expect(page.get_by_text("Aucun forfait", exact=True)).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Ajouter un bac").click()
    expect(page.get_by_role("heading", name="Ajouter un bac")).to_be_visible()
    field(page, "Flux").select_option(label="Ordures ménagères")
    field(page, "Volume (litres)").fill("240")
    field(page, "N° de puce").fill("E0040001")
    field(page, "Livré le").fill("2024-03-01")
    page.get_by_role("button", name="Ajouter le bac").click()
    chip = field(page, "N° de puce")
    expect(chip).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#id_chip_number_error")).to_contain_text(
        "Le n° de puce E0040001 est déjà celui d'un bac du compte 00002"
    )
    assert_accessible(page)
    chip.fill("E0040777")
    page.get_by_role("button", name="Ajouter le bac").click()
    expect(
        page.get_by_text("Bac Ordures ménagères 240 L (E0040777) ajouté à l'abonnement 00001")
    ).to_be_visible()
    expect(page.get_by_text("Selon le bac d'ordures ménagères : 240 L")).to_be_visible()

    page.get_by_label("Forfait de l'abonnement 00001").select_option(label="Bac 120 L")
    page.get_by_role("button", name="Enregistrer le forfait de l'abonnement 00001").click()
    expect(page.get_by_text("Forfait de l'abonnement 00001 : bac de 120 L.")).to_be_visible()
    expect(page.get_by_text("Bac de 120 L", exact=True)).to_be_visible()
    assert_accessible(page)
    assert Bin.objects.get(chip_number="E0040777").volume_litres == 240
    assert Subscription.objects.get(account=account).plan_volume_litres == 120
