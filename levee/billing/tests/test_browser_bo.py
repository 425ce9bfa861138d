"""The billing back office in Chromium: an agent of « Facturation » creates the year's
tariff grid, runs a simulation then a real billing, reads the invoices and downloads the
CSV — keyboard only where it matters, axe on every page."""

import pytest
from playwright.sync_api import expect

from levee.agents.models import Agent
from levee.agents.roles import AgentRole
from levee.billing.models import Invoice
from levee.billing.tests.billing_builders import every_other_week, make_lifts
from levee.collection.tests.conftest import make_bin
from testkit import PASSWORD, ccfi_world, field, make_user

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def agent_world():
    authority, account = ccfi_world()
    make_lifts(make_bin(account, chip="E0040001"), every_other_week(2023, 20))
    Agent.objects.create(
        authority=authority,
        user=make_user("facturation@flandre.example.org"),
        role=AgentRole.FACTURATION,
    )
    return authority


def test_an_agent_creates_the_tariff_runs_a_simulation_then_a_real_billing(
    page, live_server, agent_world, assert_accessible
):
    page.goto("/backoffice/")
    field(page, "Adresse email").fill("facturation@flandre.example.org")
    field(page, "Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    nav = page.get_by_role("navigation", name="Back office")
    nav.get_by_role("link", name="Facturation").click()
    expect(page.get_by_role("heading", name="Facturations", exact=True)).to_be_visible()
    expect(page.get_by_text("Aucune facturation pour le moment.")).to_be_visible()
    assert_accessible(page)

    # The year's grid: a bad amount is refused next to its field, then corrected.
    page.get_by_role("link", name="Tarifs", exact=True).click()
    assert_accessible(page)
    page.get_by_role("link", name="Créer la grille d'une année").click()
    field(page, "Année").fill("2023")
    field(page, "Taux de TVA (%)").fill("10")
    first = page.get_by_role("group", name="Nouveau forfait 1")
    first.get_by_label("Forfait").select_option(label="Bac")
    first.get_by_label("Volume du bac (litres)").fill("120")
    first.get_by_label("Part fixe annuelle HT (€)").fill("-73")
    first.get_by_label("Levées ou ouvertures incluses par an").fill("12")
    first.get_by_label("Prix d'une levée ou ouverture supplémentaire HT (€)").fill("2,50")
    page.get_by_role("button", name="Créer la grille").click()
    fixed = page.get_by_role("group", name="Nouveau forfait 1").get_by_label(
        "Part fixe annuelle HT (€)"
    )
    expect(fixed).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_text("Le montant ne peut pas être négatif.")).to_be_visible()
    assert_accessible(page)
    fixed.fill("73,00")
    fixed.press("Enter")  # submits the form from the keyboard
    expect(page.get_by_text("Grille tarifaire 2023 créée.")).to_be_visible()
    expect(page.get_by_role("heading", name="Grille tarifaire 2023 — version 1")).to_be_visible()
    expect(page.get_by_role("row", name="Bac 120 L 73,00 € 12 2,50 € —")).to_be_visible()
    assert_accessible(page)

    # A simulation.
    page.get_by_role("link", name="← Tarifs").click()
    page.get_by_role("link", name="Facturations", exact=True).click()
    page.get_by_role("link", name="Lancer une facturation").click()
    assert_accessible(page)
    page.get_by_role("radio", name="Facture à blanc").check()
    field(page, "Année").fill("2023")
    field(page, "Date des factures").fill("2023-07-02")
    page.get_by_role("button", name="Lancer la facturation").click()
    expect(page.get_by_role("heading", name="Facture à blanc — 2023")).to_be_visible()
    expect(page.get_by_text("État : Terminée")).to_be_visible()
    expect(page.get_by_role("progressbar", name="Factures calculées")).to_have_attribute(
        "value", "1"
    )
    expect(page.get_by_role("cell", name="102,30 €")).to_be_visible()
    expect(page.get_by_role("link", name="à blanc : DUPONT Pierre")).to_be_visible()
    assert_accessible(page)

    # The real run, with the keyboard: the radio, the confirmation, the submit button.
    page.get_by_role("link", name="← Facturations").click()
    expect(page.get_by_role("cell", name="Facture à blanc", exact=True)).to_be_visible()
    page.get_by_role("link", name="Lancer une facturation").click()
    field(page, "Année").fill("2023")
    field(page, "Date des factures").fill("2023-07-02")
    real = page.get_by_role("radio", name="Facturation réelle")
    real.focus()
    page.keyboard.press("Space")
    expect(real).to_be_checked()
    button = page.get_by_role("button", name="Lancer la facturation")
    button.focus()
    page.keyboard.press("Enter")
    confirm = page.get_by_role("checkbox", name="Je confirme la facturation réelle")
    expect(confirm).to_have_attribute("aria-invalid", "true")
    expect(
        page.get_by_text("Cochez la confirmation pour lancer une facturation réelle")
    ).to_be_visible()
    assert_accessible(page)
    assert not Invoice.objects.exclude(number="").exists()
    confirm.focus()
    page.keyboard.press("Space")
    expect(confirm).to_be_checked()
    page.get_by_role("button", name="Lancer la facturation").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Facturation réelle — 2023")).to_be_visible()
    expect(page.get_by_text("État : Terminée")).to_be_visible()
    assert_accessible(page)

    # The invoice and its lines.
    page.get_by_role("link", name="2300240000001").click()
    expect(
        page.get_by_role("heading", name="Facture 2300240000001 — DUPONT Pierre")
    ).to_be_visible()
    expect(page.get_by_role("table", name="Lignes de la facture")).to_be_visible()
    expect(page.get_by_role("row", name="Total TTC 102,30 €")).to_be_visible()
    assert_accessible(page)

    # The CSV for the treasury, from the keyboard.
    page.go_back()
    link = page.get_by_role("link", name="Télécharger les factures (CSV)")
    link.focus()
    expect(link).to_be_focused()
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    body = download.value.path().read_bytes().decode("utf-8")
    assert download.value.suggested_filename.startswith("factures-reelle-2023-")
    assert body.startswith("\ufeffNuméro;Date facture;")
    assert "\r\n2300240000001;02/07/2023;01/08/2023;00001;DUPONT Pierre;" in body


def test_the_run_page_follows_a_run_executed_elsewhere_and_announces_its_end(
    page, live_server, agent_world, assert_accessible
):
    import datetime

    from levee.billing.models import BillingRun, RunKind, Tariff, TariffPlan
    from levee.billing.services import billing_run_create, billing_run_execute

    tariff = Tariff.objects.create(authority=agent_world, year=2023)
    TariffPlan.objects.create(
        authority=agent_world,
        tariff=tariff,
        kind="bac",
        volume_litres=120,
        label="Bac 120 L",
        fixed_cents=7300,
        included_lifts=12,
        extra_lift_cents=250,
    )
    # A run waiting for its worker, as in production: nothing executes it yet.
    run = billing_run_create(
        authority=agent_world,
        kind=RunKind.SIMULATION,
        year=2023,
        half=None,
        issued_on=datetime.date(2023, 7, 2),
        enqueue=False,
    )
    page.goto("/backoffice/")
    field(page, "Adresse email").fill("facturation@flandre.example.org")
    field(page, "Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    page.goto(f"/backoffice/facturation/{run.pk}/")
    expect(page.get_by_text("État : En attente")).to_be_visible()
    assert_accessible(page)

    billing_run_execute(run_id=run.pk)  # the worker, elsewhere

    # progress.js polls the status part, then reloads the page: the invoice shows.
    expect(page.get_by_text("État : Terminée")).to_be_visible(timeout=15_000)
    expect(page.get_by_role("link", name="à blanc : DUPONT Pierre")).to_be_visible()
    assert BillingRun.objects.get().invoices_done == 1
    assert_accessible(page)
