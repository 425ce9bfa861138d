"""« Restes à recouvrer » in Chromium: an agent of « Facturation » reaches it from the
billing pages, reads the age bands, filters with a bad then a good amount and opens an
account from a row — axe on every page."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from levee.agents.models import Agent
from levee.agents.roles import AgentRole
from testkit import PASSWORD, ccfi_world, field, make_user

from .factories import make_invoice

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def agent_world():
    authority, account = ccfi_world()
    today = timezone.localdate()
    for number, age, cents in (("2400240000001", 12, 8794), ("2400240000002", 200, 4500)):
        due = today - datetime.timedelta(days=age)
        make_invoice(
            account,
            number=number,
            issued_on=due - datetime.timedelta(days=30),
            due_on=due,
            total_cents=cents,
        )
    Agent.objects.create(
        authority=authority,
        user=make_user("facturation@flandre.example.org"),
        role=AgentRole.FACTURATION,
    )
    return account


def test_an_agent_reads_filters_and_follows_the_unpaid_invoices(
    page, live_server, agent_world, assert_accessible
):
    page.goto("/backoffice/")
    field(page, "Adresse email").fill("facturation@flandre.example.org")
    field(page, "Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    page.get_by_role("navigation", name="Back office").get_by_role(
        "link", name="Facturation"
    ).click()
    page.get_by_role("link", name="Restes à recouvrer").click()
    expect(page.get_by_role("heading", name="Restes à recouvrer", exact=True)).to_be_visible()
    bands = page.get_by_role("table", name="Nombre et montant des factures impayées")
    expect(bands.get_by_role("row", name="Moins de 30 jours")).to_contain_text("87,94 €")
    expect(bands.get_by_role("row", name="Plus de 180 jours")).to_contain_text("45,00 €")
    expect(bands.get_by_role("row", name="Total")).to_contain_text("132,94 €")
    expect(page.get_by_text("2 factures impayées.")).to_be_visible()
    assert_accessible(page)

    # A bad amount is told next to its field; a good one narrows the list.
    amount = field(page, "Montant minimum (€)")
    amount.fill("cinquante")
    page.get_by_role("button", name="Filtrer").click()
    expect(field(page, "Montant minimum (€)")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_text("Saisissez un montant en euros, par exemple 50,00.")).to_be_visible()
    assert_accessible(page)
    field(page, "Montant minimum (€)").fill("50")
    page.get_by_role("button", name="Filtrer").click()
    expect(page.get_by_text("1 facture impayée pour ces critères.")).to_be_visible()
    expect(page.get_by_role("link", name="2400240000001")).to_be_visible()
    expect(page.get_by_role("link", name="2400240000002")).to_have_count(0)
    csv_link = page.get_by_role("link", name="Exporter en CSV")
    assert "montant_min=50" in csv_link.get_attribute("href")

    # The row leads to the account.
    page.get_by_role("link", name="00001 : compte de M DUPONT Pierre").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("DUPONT")
    assert page.url.endswith(f"/backoffice/comptes/{agent_world.pk}/")
