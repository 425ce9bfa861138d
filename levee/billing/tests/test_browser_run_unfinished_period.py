"""Issue 12, item 9 in Chromium: a real run of this year, not over yet, first says which
days are not elapsed and starts on « Confirmer la facturation réelle »; a « Facture à
blanc » of the same period never asks. axe on every page."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from levee.agents.models import Agent
from levee.agents.roles import AgentRole
from levee.billing.models import BillingRun
from levee.billing.tests.billing_builders import make_tariff
from levee.collection.tests.conftest import make_bin
from testkit import PASSWORD, ccfi_world, field, make_user

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def agent_world():
    authority, account = ccfi_world()
    make_bin(account, chip="E0040001")
    make_tariff(authority, year=timezone.localdate().year)
    Agent.objects.create(
        authority=authority,
        user=make_user("facturation@flandre.example.org"),
        role=AgentRole.FACTURATION,
    )
    return authority


def fill_this_year(page, kind: str):
    today = timezone.localdate()
    page.goto("/backoffice/facturation/nouvelle/")
    page.get_by_role("radio", name=kind).check()
    field(page, "Année").fill(str(today.year))
    field(page, "Date des factures").fill(today.isoformat())


def test_a_real_run_of_a_period_not_over_asks_first(
    page, live_server, agent_world, assert_accessible
):
    page.goto("/backoffice/")
    field(page, "Adresse email").fill("facturation@flandre.example.org")
    field(page, "Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    today = timezone.localdate()

    fill_this_year(page, "Facture à blanc")
    page.get_by_role("button", name="Lancer la facturation").click()
    expect(page.get_by_role("heading", name=f"Facture à blanc — {today.year}")).to_be_visible()

    fill_this_year(page, "Facturation réelle")
    page.get_by_role("checkbox", name="Je confirme la facturation réelle").check()
    page.get_by_role("button", name="Lancer la facturation").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text(
        f"La période n'est pas terminée : du {today:%d/%m/%Y} au 31/12/{today.year}, les jours "
        "ne sont pas encore écoulés et leurs levées ne seront pas facturées."
    )
    assert_accessible(page)
    assert BillingRun.objects.filter(kind="reelle").count() == 0
    button = page.get_by_role("button", name="Confirmer la facturation réelle")
    button.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=f"Facturation réelle — {today.year}")).to_be_visible()
    assert_accessible(page)
    assert BillingRun.objects.filter(kind="reelle").count() == 1
