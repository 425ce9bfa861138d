"""Seed 004 followed on the demo itself, in Chromium: the sign-up of « JE CRÉE MON ESPACE »
(dupont59@gmail.com, Mot2passe@, DUPONT, PSEMCSMJ), then « PAYER MA FACTURE SUR INTERNET »
word by word — « Mes factures », invoice 2300240069928 of 02/07/2023 for 87,94 €,
« Régler », PayFiP's two screens imitated by the sandbox, card 4000009999999999 expiring
01/2023 — ending with the invoice paid. Then Marie Martin, the demo's resident, finds her
paid and unpaid invoices. axe on every page."""

import datetime
import re

import pytest
from playwright.sync_api import expect

from levee.billing.models import Invoice, InvoiceStatus
from levee.demo.tests.demo_cache import demo_restore
from levee.payments.models import Payment, PaymentStatus
from testkit import field

pytestmark = pytest.mark.django_db(transaction=True)

SEED_PASSWORD = "Mot2passe@"
TODAY = datetime.date(2026, 11, 25)


@pytest.fixture
def demo(settings, live_server, demo_cache_folder):
    """The demo until TODAY, loaded once for the run and restored for each test (the
    database is flushed between browser tests)."""
    settings.SITE_URL = live_server.url
    settings.PAYMENT_SANDBOX_ONLY = True
    demo_restore(
        today=TODAY,
        shared=demo_cache_folder,
        media_root=settings.MEDIA_ROOT,
        private_root=settings.PRIVATE_ROOT,
    )


def log_in(page, email: str, password: str):
    page.goto("/flandre-interieure/")
    page.get_by_role("link", name="J'accède à mon espace").click()
    field(page, "Identifiant (adresse mail)").fill(email)
    field(page, "Mot de passe").fill(password)
    page.get_by_role("button", name="Connexion").click()


def test_seed_004_pays_the_demo_invoice_by_card(page, demo, mailbox, assert_accessible):
    page.goto("/flandre-interieure/")
    page.get_by_role("link", name="Je crée mon espace").click()
    field(page, "Email").fill("dupont59@gmail.com")
    field(page, "Mot de passe").fill(SEED_PASSWORD)
    field(page, "Confirmation mot de passe").fill(SEED_PASSWORD)
    field(page, "Nom / Raison sociale").fill("DUPONT")
    field(page, "Référence usager").fill("PSEMCSMJ")
    page.get_by_role("button", name="Envoyer").click()
    page.goto(mailbox.last_link("dupont59@gmail.com", "/activation/"))
    expect(page.get_by_text("Votre espace est activé")).to_be_visible()

    log_in(page, "dupont59@gmail.com", SEED_PASSWORD)
    expect(
        page.get_by_text(
            "PIERRE DUPONT - dupont59@gmail.com | Référence abonné : 00001 | Type de forfait : Bac | "
            "Souscrit le : 30 juin 2022 | Terminé le :"
        )
    ).to_be_visible()
    page.get_by_role("link", name="Mes factures").first.click()
    expect(page.get_by_role("heading", name="Mes factures")).to_be_visible()
    expect(page.get_by_text("Je paie mes factures.")).to_be_visible()
    for header in ("Date facture", "Référence", "Montant TTC", "Duplicata", "Règlement"):
        expect(page.get_by_role("columnheader", name=header)).to_be_visible()
    row = page.get_by_role("row", name=re.compile("2300240069928"))
    expect(row).to_contain_text("02/07/2023")
    expect(row).to_contain_text(re.compile(r"87,94\s€"))
    assert_accessible(page)

    with page.expect_download() as download:
        row.get_by_role("link", name=re.compile("duplicata de la facture 2300240069928")).click()
    assert download.value.suggested_filename == "facture-2300240069928.pdf"
    with open(download.value.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"

    row.get_by_role("button", name="Régler la facture 2300240069928").click()
    expect(page.get_by_role("heading", name="Informations sur la dette")).to_be_visible()
    expect(page.get_by_text("Environnement de démonstration : aucun paiement réel")).to_be_visible()
    expect(page.get_by_text("2300240069928")).to_be_visible()
    expect(page.get_by_text("dupont59@gmail.com")).to_be_visible()
    expect(page.get_by_role("heading", name="Choix du mode de paiement")).to_be_visible()
    expect(page.get_by_text("Payer par prélèvement")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Payer par carte bancaire").click()
    expect(page.get_by_text("TRES. HAZEBROUCK")).to_be_visible()
    expect(page.get_by_text("Paiement unique")).to_be_visible()
    assert_accessible(page)
    field(page, "Numéro de carte").fill("4000009999999999")
    field(page, "Mois").select_option("01")
    field(page, "Année").select_option("2023")
    field(page, "Cryptogramme visuel").fill("123")
    page.get_by_role("button", name="Valider").click()

    expect(page.get_by_role("status")).to_contain_text("Votre paiement de 87,94 € est accepté.")
    assert_accessible(page)
    page.get_by_role("link", name="Retour à Mes factures").click()
    row = page.get_by_role("row", name=re.compile("2300240069928"))
    expect(row).to_contain_text(re.compile(r"Réglée le \d\d/\d\d/\d{4}"))
    expect(row.get_by_role("button")).to_have_count(0)
    invoice = Invoice.objects.get(number="2300240069928")
    assert invoice.status == InvoiceStatus.PAID and invoice.paid_by == "carte"
    assert Payment.objects.get(invoice=invoice).status == PaymentStatus.PAID


def test_marie_martin_finds_her_paid_and_unpaid_invoices(page, demo, assert_accessible):
    log_in(page, "marie.martin@example.org", "Usager-Demo-1!")
    page.get_by_role("link", name="Mes factures").first.click()
    rows = page.get_by_role("row")
    expect(rows.filter(has_text=re.compile(r"Réglée le"))).not_to_have_count(0)
    expect(rows.filter(has=page.get_by_role("button", name=re.compile("Régler")))).to_have_count(1)
    assert_accessible(page)
    page.get_by_role("link", name="Mes bacs/levées").first.click()
    expect(page.get_by_text(re.compile("Estimation de ma prochaine facture"))).to_be_visible()
    assert_accessible(page)


def test_an_agent_runs_a_simulation_then_a_real_run_and_the_resident_finds_them(
    page, chromium_browser, live_server, demo, assert_accessible
):
    agent = chromium_browser.new_context(base_url=live_server.url, locale="fr-FR").new_page()
    agent.goto("/backoffice/")
    field(agent, "Adresse email").fill("agent.flandre@example.org")
    field(agent, "Mot de passe").fill("Agent-Demo-59!")
    agent.get_by_role("button", name="Connexion").click()
    agent.get_by_role("navigation", name="Back office").get_by_role(
        "link", name="Facturation"
    ).click()
    assert_accessible(agent)

    def launch(kind: str, period: str):
        agent.get_by_role("link", name="Lancer une facturation").click()
        agent.get_by_role("radio", name=kind).check()
        field(agent, "Année").fill("2026")
        field(agent, "Période").select_option(label=period)
        field(agent, "Date des factures").fill("2026-11-25")
        if kind == "Facturation réelle":
            agent.get_by_role("checkbox", name="Je confirme la facturation réelle").check()
        agent.get_by_role("button", name="Lancer la facturation").click()

    # The first half of 2026 came from the previous software: billing it again is refused.
    launch("Facturation réelle", "1er semestre")
    expect(agent.get_by_text("Des factures couvrent déjà cette période")).to_be_visible()
    assert_accessible(agent)
    agent.get_by_role("link", name="← Facturations").click()
    launch("Facture à blanc", "2e semestre")
    expect(agent.get_by_text("État : Terminée")).to_be_visible()
    assert_accessible(agent)

    log_in(page, "marie.martin@example.org", "Usager-Demo-1!")
    page.get_by_role("link", name="Mes factures").first.click()
    expect(page.get_by_text("aucun paiement n'est demandé")).to_be_visible()
    assert_accessible(page)

    agent.get_by_role("link", name="← Facturations").click()
    launch("Facturation réelle", "2e semestre")
    expect(agent.get_by_role("alert")).to_contain_text("La période n'est pas terminée : du ")
    assert_accessible(agent)
    agent.get_by_role("button", name="Confirmer la facturation réelle").click()
    expect(agent.get_by_text("État : Terminée")).to_be_visible()
    number = Invoice.objects.filter(run__kind="reelle", account__code="00002").get().number
    assert number.startswith("2600240")
    page.reload()
    row = page.get_by_role("row", name=re.compile(number))
    expect(row).to_contain_text("25/11/2026")
    # The CCFI sends its titles to its public accountant: « Régler » once its rôle is
    # accepted (levee/treasury/tests/test_browser_pes_role.py follows it there).
    expect(row).to_contain_text("Titre en cours de prise en charge")
    assert_accessible(page)
