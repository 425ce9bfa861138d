"""In Chromium: a « Facturation » agent records a cheque on an invoice's page (a missing
reference told next to its field first), then its holder sees it « Réglée le … » in « Mes
factures »; before that, a part paid by transfer reads « Reste à payer ». axe on each page,
no sideways scroll at 320 px."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from levee.agents.models import Agent
from levee.agents.roles import AgentRole
from levee.billing.models import Invoice, InvoiceStatus
from testkit import PASSWORD, field, make_user

from .conftest import World

pytestmark = pytest.mark.django_db(transaction=True)
NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= document.documentElement.clientWidth"


def fits_a_phone(page):
    page.set_viewport_size({"width": 320, "height": 640})
    fits = page.evaluate(NO_SIDEWAYS_SCROLL)
    width = page.evaluate("document.documentElement.scrollWidth")
    page.set_viewport_size({"width": 1280, "height": 800})
    assert fits, width


@pytest.fixture
def world(settings, live_server):
    settings.SITE_URL = live_server.url
    settings.PAYMENT_SANDBOX_ONLY = True
    world = World()
    agent = make_user("facturation@flandre.example.org")
    Agent.objects.create(authority=world.authority, user=agent, role=AgentRole.FACTURATION)
    return world


def resident_invoices(page):
    page.goto("/flandre-interieure/connexion/")
    field(page, "Identifiant (adresse mail)").fill("dupont59@gmail.com")
    field(page, "Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    page.get_by_role("link", name="Mes factures").first.click()
    return page.get_by_role("row", name=re.compile("2300240069928"))


def record(page, *, mode: str, reference: str, amount: str):
    page.get_by_label("Mode de règlement").select_option(label=mode)
    field(page, "Référence").fill(reference)
    field(page, "Montant (€)").fill(amount)
    page.get_by_role("button", name="Enregistrer le règlement").click()


def test_an_agent_records_a_cheque_and_the_resident_sees_the_invoice_paid(
    page, live_server, world, assert_accessible, chromium_browser
):
    today = timezone.localdate()
    page.goto("/backoffice/")
    field(page, "Adresse email").fill("facturation@flandre.example.org")
    field(page, "Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    page.goto(f"/backoffice/facturation/factures/{world.invoice.pk}/")
    expect(page.get_by_role("heading", name="Enregistrer un règlement")).to_be_visible()
    expect(page.get_by_text("Aucun règlement reçu : reste à payer 87,94 €.")).to_be_visible()
    assert_accessible(page)
    fits_a_phone(page)

    # A part by transfer, first without its reference.
    record(page, mode="Virement", reference="", amount="75,60")
    expect(field(page, "Référence")).to_have_accessible_description(
        re.compile("Indiquez la référence du règlement")
    )
    assert_accessible(page)
    record(page, mode="Virement", reference="VIR-2027-0012", amount="75,60")
    expect(
        page.get_by_text("Règlement de 75,60 € enregistré : il reste 12,34 € à payer.")
    ).to_be_visible()
    assert_accessible(page)
    fits_a_phone(page)

    # The resident, in a browser context of his own (another session).
    context = chromium_browser.new_context(base_url=live_server.url, locale="fr-FR")
    context.set_default_timeout(15_000)
    resident = context.new_page()
    row = resident_invoices(resident)
    expect(row).to_contain_text("Reste à payer : 12,34 €")
    expect(row.get_by_role("button", name="Régler la facture 2300240069928")).to_be_visible()
    assert_accessible(resident)
    fits_a_phone(resident)

    # The rest by cheque, at the counter.
    record(page, mode="Chèque", reference="4721503", amount="12,34")
    expect(
        page.get_by_text("Règlement de 12,34 € enregistré : la facture 2300240069928 est réglée.")
    ).to_be_visible()
    expect(page.get_by_role("cell", name="4721503")).to_be_visible()
    assert_accessible(page)
    fits_a_phone(page)
    assert Invoice.objects.get(pk=world.invoice.pk).status == InvoiceStatus.PAID

    resident.reload()
    row = resident.get_by_role("row", name=re.compile("2300240069928"))
    expect(row).to_contain_text(f"Réglée le {today:%d/%m/%Y}")
    expect(row).not_to_contain_text("Reste à payer")
    expect(row.get_by_role("button")).to_have_count(0)
    assert_accessible(resident)
    fits_a_phone(resident)
    context.close()
