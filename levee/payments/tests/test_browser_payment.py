"""Seed 004's « PAYER MA FACTURE SUR INTERNET » in Chromium, through the sandbox gateway:
Mes factures → « Régler » → « Informations sur la dette » → « Payer par carte bancaire » →
card 4000009999999999, 01/2023, 123 → « Valider » → back on the portal, the invoice paid.
The refused card leaves it payable. axe on every page."""

import re

import pytest
from playwright.sync_api import expect

from levee.billing.models import BillingSettings
from testkit import PASSWORD, field

from .conftest import World

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def resident(settings, live_server):
    settings.SITE_URL = live_server.url
    settings.PAYMENT_SANDBOX_ONLY = True
    world = World()
    BillingSettings.objects.create(authority=world.authority, treasury_name="TRES. HAZEBROUCK")
    return world


def pays_with(page, card: str, assert_accessible):
    page.goto("/flandre-interieure/connexion/")
    field(page, "Identifiant (adresse mail)").fill("dupont59@gmail.com")
    field(page, "Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    page.get_by_role("link", name="Mes factures").first.click()
    row = page.get_by_role("row", name=re.compile("2300240069928"))
    expect(row).to_contain_text("87,94 €")
    assert_accessible(page)
    row.get_by_role("button", name="Régler la facture 2300240069928").click()

    expect(page.get_by_role("heading", name="Informations sur la dette")).to_be_visible()
    expect(page.get_by_text("Environnement de démonstration : aucun paiement réel")).to_be_visible()
    expect(page.get_by_text("2300240069928")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Payer par carte bancaire").click()

    expect(page.get_by_text("TRES. HAZEBROUCK")).to_be_visible()
    assert_accessible(page)
    field(page, "Numéro de carte").fill("1234")
    field(page, "Mois").select_option("01")
    field(page, "Année").select_option("2023")
    field(page, "Cryptogramme visuel").fill("123")
    page.get_by_role("button", name="Valider").click()
    expect(field(page, "Numéro de carte")).to_have_accessible_description(
        re.compile("Numéro de carte inconnu de l'environnement de démonstration")
    )
    assert_accessible(page)
    field(page, "Numéro de carte").fill(card)
    field(page, "Cryptogramme visuel").fill("123")
    page.get_by_role("button", name="Valider").click()


def test_a_resident_pays_his_invoice_by_card(page, resident, assert_accessible):
    pays_with(page, "4000009999999999", assert_accessible)
    expect(
        page.get_by_role("heading", name="Règlement de la facture 2300240069928")
    ).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Votre paiement de 87,94 € est accepté.")
    assert_accessible(page)
    page.get_by_role("link", name="Retour à Mes factures").click()
    row = page.get_by_role("row", name=re.compile("2300240069928"))
    expect(row).to_contain_text(re.compile(r"Réglée le \d\d/\d\d/\d{4}"))
    expect(row.get_by_role("button")).to_have_count(0)
    assert_accessible(page)


def test_a_refused_card_leaves_the_invoice_payable(page, resident, assert_accessible):
    pays_with(page, "4000000000000002", assert_accessible)
    expect(page.get_by_role("status")).to_contain_text("Votre paiement a été refusé.")
    assert_accessible(page)
    page.get_by_role("link", name="Retour à Mes factures").click()
    row = page.get_by_role("row", name=re.compile("2300240069928"))
    expect(row.get_by_role("button", name="Régler la facture 2300240069928")).to_be_visible()
    assert_accessible(page)
