"""Issue 12, item 3 in Chromium: « Régler », a wrong card number, then back to « Mes
factures »: the invoice says since when its payment waits and until when it is checked;
« Reprendre le paiement » leads back to the same card screen, « Abandonner le paiement »
offers « Régler » again. axe on every page."""

import re

import pytest
from playwright.sync_api import expect

from testkit import PASSWORD, field

from .conftest import World

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def resident(settings, live_server):
    settings.SITE_URL = live_server.url
    settings.PAYMENT_SANDBOX_ONLY = True
    return World()


def test_a_payment_left_on_a_wrong_card_is_resumed_then_abandoned(
    page, resident, assert_accessible
):
    page.goto("/flandre-interieure/connexion/")
    field(page, "Identifiant (adresse mail)").fill("dupont59@gmail.com")
    field(page, "Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    page.get_by_role("link", name="Mes factures").first.click()
    row = page.get_by_role("row", name=re.compile("2300240069928"))
    row.get_by_role("button", name="Régler la facture 2300240069928").click()
    page.get_by_role("link", name="Payer par carte bancaire").click()
    field(page, "Numéro de carte").fill("1234")
    field(page, "Cryptogramme visuel").fill("123")
    page.get_by_role("button", name="Valider").click()
    expect(field(page, "Numéro de carte")).to_have_accessible_description(
        re.compile("Numéro de carte inconnu")
    )

    page.goto("/flandre-interieure/espace/mes-factures/")
    row = page.get_by_role("row", name=re.compile("2300240069928"))
    expect(row).to_contain_text(
        re.compile(
            r"Paiement commencé le \d\d/\d\d/\d{4} à \d\d:\d\d, en cours de vérification "
            r"jusqu'au \d\d/\d\d/\d{4} à \d\d:\d\d au plus tard\."
        )
    )
    assert_accessible(page)
    row.get_by_role("button", name="Reprendre le paiement de la facture 2300240069928").click()
    expect(page.get_by_role("heading", name="Informations sur la dette")).to_be_visible()

    page.goto("/flandre-interieure/espace/mes-factures/")
    row = page.get_by_role("row", name=re.compile("2300240069928"))
    row.get_by_role("button", name="Abandonner le paiement de la facture 2300240069928").click()
    expect(page.get_by_text("Le paiement est abandonné")).to_be_visible()
    row = page.get_by_role("row", name=re.compile("2300240069928"))
    expect(row.get_by_role("button", name="Régler la facture 2300240069928")).to_be_visible()
    assert_accessible(page)
