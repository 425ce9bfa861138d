"""Flow 9 in Chromium: « Mes factures » from the menu with the keyboard, a duplicata
downloaded, the paperless choice; then the estimate on « Mes bacs/levées »; axe on both."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from levee.collection.tests.conftest import make_bin
from levee.collection.tests.test_production_page import weekly_lifts
from levee.subscribers.models import Account
from testkit import PASSWORD, ccfi_world, field, make_user

from .factories import make_seed_invoice, make_simulation, make_tariff

pytestmark = pytest.mark.django_db(transaction=True)


def test_flow_9_invoices_duplicata_paperless_and_estimate(page, assert_accessible):
    authority, dupont = ccfi_world()
    year = timezone.localdate().year
    start = timezone.make_aware(datetime.datetime(year, 1, 1, 7))
    weekly_lifts(make_bin(dupont, chip="E0040001"), 1, start=start)
    make_tariff(authority, year)
    make_seed_invoice(dupont)
    make_simulation(dupont, year=year)
    make_user("dupont59@gmail.com", accounts=[dupont])

    page.goto("/flandre-interieure/connexion/")
    field(page, "Identifiant (adresse mail)").fill("dupont59@gmail.com")
    field(page, "Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()

    # From « Mes bacs/levées » in the menu, Tab reaches « Mes factures »; Enter opens it.
    menu = page.get_by_role("navigation", name="Mon espace")
    menu.get_by_role("link", name="Mes bacs/levées").focus()
    page.keyboard.press("Tab")
    expect(menu.get_by_role("link", name="Mes factures")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Mes factures", level=1)).to_be_visible()
    row = page.get_by_role("row", name="2300240069928")
    expect(row).to_contain_text("02/07/2023")
    expect(row).to_contain_text("87,94\u00a0€")
    expect(page.get_by_role("heading", name=f"Facture à blanc — {year}")).to_be_visible()
    expect(page.get_by_text("Aucun paiement n'est demandé.")).to_be_visible()
    assert_accessible(page)

    with page.expect_download() as download_info:
        row.get_by_role("link", name="PDF : duplicata de la facture 2300240069928").click()
    download = download_info.value
    assert download.suggested_filename == "facture-2300240069928.pdf"
    with open(download.path(), "rb") as handle:
        assert handle.read(5) == b"%PDF-"

    # The paperless choice, with the keyboard: Space ticks it, Tab, Enter saves it.
    choice = field(page, "Recevoir mes factures uniquement par email (facture dématérialisée)")
    choice.focus()
    page.keyboard.press("Space")
    expect(choice).to_be_checked()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Enregistrer mon choix")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_text("Votre choix est enregistré.")).to_be_visible()
    expect(page.get_by_text("Choix enregistré le")).to_be_visible()
    expect(choice).to_be_checked()
    assert Account.objects.get(pk=dupont.pk).paperless_invoices
    assert_accessible(page)

    menu.get_by_role("link", name="Mes bacs/levées").click()
    expect(page.get_by_role("heading", name=f"Mon forfait en {year}")).to_be_visible()
    expect(page.get_by_text("Estimation de ma prochaine facture")).to_be_visible()
    expect(page.get_by_role("row", name="Incluses dans le forfait")).to_contain_text("1 sur 12")
    assert_accessible(page)
