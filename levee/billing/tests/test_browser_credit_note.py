"""In Chromium: a « Facturation » agent opens an invoice's page, « Émettre un avoir », tries a
reduction larger than the invoice (told next to the amount), issues a réduction of 12,34 €,
and reads it listed with its PDF; the holder sees the avoir under its invoice in « Mes
factures », the rest to pay following. axe on each page, no sideways scroll at 320 px."""

import re

import pytest
from playwright.sync_api import expect

from levee.agents.models import Agent
from levee.agents.roles import AgentRole
from levee.billing.models import CreditNote
from levee.payments.tests.conftest import World
from testkit import PASSWORD, field, make_user

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


def test_an_agent_issues_an_avoir_and_the_resident_sees_it(
    page, live_server, world, assert_accessible, chromium_browser
):
    page.goto("/backoffice/")
    field(page, "Adresse email").fill("facturation@flandre.example.org")
    field(page, "Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    page.goto(f"/backoffice/facturation/factures/{world.invoice.pk}/")
    expect(page.get_by_text("Aucun avoir sur cette facture.")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Émettre un avoir").click()
    expect(
        page.get_by_role("heading", name="Émettre un avoir sur la facture 2300240069928")
    ).to_be_visible()
    assert_accessible(page)

    page.get_by_role("radio", name="Réduction").check()
    field(page, "Montant de la réduction TTC (€)").fill("90,00")
    page.get_by_role("combobox", name="Motif").select_option(label="Erreur de tarif")
    field(page, "Commentaire").fill("Bac de 120 L facturé comme un 240 L")
    page.get_by_label(re.compile("Je confirme l'émission de cet avoir")).check()
    page.get_by_role("button", name="Émettre l'avoir").click()
    expect(field(page, "Montant de la réduction TTC (€)")).to_have_accessible_description(
        re.compile("ne peut pas dépasser ce que la facture représente encore : 87,94.€")
    )
    assert_accessible(page)
    assert not CreditNote.objects.exists()

    field(page, "Montant de la réduction TTC (€)").fill("12,34")
    page.get_by_label(re.compile("Je confirme l'émission de cet avoir")).check()
    page.get_by_role("button", name="Émettre l'avoir").click()
    note = CreditNote.objects.get()
    expect(
        page.get_by_text(f"Avoir n° {note.number} de 12,34 € émis sur la facture 2300240069928")
    ).to_be_visible()
    expect(page.get_by_role("link", name=f"Avoir n° {note.number} (PDF)")).to_be_visible()
    expect(page.get_by_text("Après avoirs, la facture représente 75,60 €.")).to_be_visible()
    assert_accessible(page)
    fits_a_phone(page)

    # The holder, in a browser context of his own.
    context = chromium_browser.new_context(base_url=live_server.url, locale="fr-FR")
    context.set_default_timeout(15_000)
    resident = context.new_page()
    resident.goto("/flandre-interieure/connexion/")
    field(resident, "Identifiant (adresse mail)").fill("dupont59@gmail.com")
    field(resident, "Mot de passe").fill(PASSWORD)
    resident.get_by_role("button", name="Connexion").click()
    resident.get_by_role("link", name="Mes factures").first.click()
    invoice_row = resident.get_by_role("row", name=re.compile("^.*Régler la facture"))
    expect(invoice_row).to_contain_text("Reste à payer : 75,60 €")
    avoir_row = resident.get_by_role("row", name=re.compile(f"Avoir n° {note.number}"))
    expect(avoir_row).to_contain_text("-12,34 €")
    expect(avoir_row).to_contain_text("Réduction : erreur de tarif")
    expect(avoir_row.get_by_role("link", name=f"Avoir n° {note.number} (PDF)")).to_be_visible()
    assert_accessible(resident)
    fits_a_phone(resident)
    context.close()
