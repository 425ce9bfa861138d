"""In Chromium: a resident chooses direct debit from « Mes services », an agent accepts it in
the back office, and the resident reads « Mon échéancier de prélèvement » in « Mes
informations »; then he stops it and the agent accepts that too; axe on every page."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from levee.agents.models import Agent
from levee.payments.models import Mandate
from testkit import PASSWORD, ccfi_world, field, make_user

from .test_mandates import ics_set, make_invoice

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world(live_server):
    ccfi, account = ccfi_world()
    ics_set(ccfi)
    make_user("dupont59@gmail.com", accounts=[account])
    Agent.objects.create(authority=ccfi, user=make_user("agent.flandre@example.org"))
    return make_invoice(
        account,
        number="2400240000001",
        due_on=timezone.localdate() + datetime.timedelta(days=30),
    )


def agent_page(chromium_browser, live_server):
    agent = chromium_browser.new_context(base_url=live_server.url, locale="fr-FR").new_page()
    agent.context.set_default_timeout(15_000)
    agent.goto("/backoffice/")
    field(agent, "Adresse email").fill("agent.flandre@example.org")
    field(agent, "Mot de passe").fill(PASSWORD)
    agent.get_by_role("button", name="Connexion").click()
    return agent


def agent_accepts(agent, type_title: str, assert_accessible):
    agent.goto("/backoffice/demandes/")
    field(agent, "Type").select_option(label=type_title)
    agent.get_by_role("button", name="Filtrer").click()
    agent.get_by_role("link", name=re.compile("^Traiter")).click()
    expect(agent.get_by_text("FR76 **** **** **** **** ***0 189").first).to_be_visible()
    assert_accessible(agent)
    agent.get_by_role("button", name="Accepter", exact=True).click()


def test_a_resident_chooses_direct_debit_reads_his_echeancier_and_stops_it(
    world, page, chromium_browser, live_server, assert_accessible
):
    invoice = world
    page.goto("/flandre-interieure/connexion/")
    field(page, "Identifiant (adresse mail)").fill("dupont59@gmail.com")
    field(page, "Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    page.get_by_role("link", name="Mes services").first.click()
    assert_accessible(page)
    page.get_by_role("link", name="Je choisis le prélèvement automatique").click()
    expect(
        page.get_by_role("heading", name="Je choisis le prélèvement automatique")
    ).to_be_visible()
    assert_accessible(page)

    # A wrong IBAN first: the message is next to the field.
    page.get_by_label("Prélèvement mensuel").check()
    field(page, "IBAN").fill("FR76 3000 6000 0112 3456 7890 188")
    page.get_by_role("button", name="Valider").click()
    expect(page.get_by_text("sa clé de contrôle")).to_be_visible()
    expect(field(page, "IBAN")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)

    field(page, "IBAN").fill("FR76 3000 6000 0112 3456 7890 189")
    page.get_by_label(re.compile("^J'autorise Communauté de Communes Flandre Intérieure")).check()
    page.get_by_role("button", name="Valider").click()
    expect(
        page.get_by_text("Votre demande « Prélèvement automatique » est enregistrée")
    ).to_be_visible()
    assert_accessible(page)

    agent = agent_page(chromium_browser, live_server)
    agent_accepts(agent, "Je choisis le prélèvement automatique", assert_accessible)
    expect(agent.get_by_text("Mandat RUM-00240-00001-1 enregistré").first).to_be_visible()
    assert_accessible(agent)

    page.get_by_role("link", name="Mes informations").first.click()
    expect(page.get_by_role("heading", name="Mon échéancier de prélèvement")).to_be_visible()
    expect(page.get_by_text("RUM-00240-00001-1")).to_be_visible()
    expect(page.get_by_text("FR76 **** **** **** **** ***0 189").first).to_be_visible()
    debits = page.get_by_role("table", name="Mes prochains prélèvements")
    expect(debits.get_by_role("row")).to_have_count(11)
    first = Mandate.objects.get().debits.order_by("due_on").first()
    expect(debits.get_by_role("row").nth(1)).to_have_text(
        re.compile(rf"{first.due_on:%d/%m/%Y}\s*{invoice.number}\s*8,80\s€")
    )
    assert_accessible(page)

    page.get_by_role("link", name="J'arrête le prélèvement automatique").click()
    expect(page.get_by_role("heading", name="J'arrête le prélèvement automatique")).to_be_visible()
    assert_accessible(page)
    field(page, "Je demande l'arrêt du prélèvement automatique de mes factures.").check()
    page.get_by_role("button", name="Valider").click()
    expect(
        page.get_by_text("Votre demande « Arrêt du prélèvement automatique » est enregistrée")
    ).to_be_visible()
    agent_accepts(agent, "J'arrête le prélèvement automatique", assert_accessible)
    expect(agent.get_by_text("Mandat RUM-00240-00001-1 révoqué").first).to_be_visible()
    agent.context.close()
    page.get_by_role("link", name="Mes informations").first.click()
    expect(page.get_by_role("heading", name="Mes informations")).to_be_visible()
    expect(page.get_by_role("heading", name="Mon échéancier de prélèvement")).to_have_count(0)
    expect(page.get_by_text("Mode de paiement : À réception de facture")).to_be_visible()
