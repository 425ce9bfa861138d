"""« Journal des actions » and an account's page in Chromium, on a 320 px wide phone: an
agent filters the Journal and reads it without scrolling sideways (WCAG 1.4.10)."""

import pytest
from playwright.sync_api import expect

from levee.agents.models import Agent
from levee.agents.roles import AgentRole
from levee.agents.services import account_key_regenerate
from levee.audit.models import AuditEntry
from testkit import PASSWORD, ccfi_world, field, make_user

pytestmark = pytest.mark.django_db(transaction=True)

NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= 320"


def log_in(page, email):
    page.goto("/backoffice/")
    field(page, "Adresse email").fill(email)
    field(page, "Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()


@pytest.fixture
def journal(live_server):
    authority, account = ccfi_world()
    user = make_user("pierrick.dupont.accueil-de-la-communaute@flandre.example.org")
    user.first_name, user.last_name = "Pierrick", "Dupont"
    user.save(update_fields=["first_name", "last_name"])
    Agent.objects.create(authority=authority, user=user, role=AgentRole.ACCUEIL)
    account_key_regenerate(account=account, agent_user=user)
    AuditEntry.objects.create(
        authority=authority,
        actor=user,
        action="opening_request.refuse",
        object_type="accounts.AccountOpeningRequest",
        object_id="4",
        after={"status": "refused", "reason": "Justificatif_illisible_" * 6},
    )
    return user, account


def test_an_agent_filters_the_journal_on_a_phone_without_scrolling_sideways(
    page, live_server, journal, assert_accessible
):
    user, account = journal
    page.set_viewport_size({"width": 320, "height": 640})
    log_in(page, user.email)
    page.goto("/backoffice/journal/")
    expect(page.get_by_role("heading", name="Journal des actions")).to_be_visible()
    expect(
        page.get_by_text("clé d'activation du compte 00001 (DUPONT PIERRE) régénérée")
    ).to_be_visible()
    assert page.evaluate(NO_SIDEWAYS_SCROLL), page.evaluate("document.documentElement.scrollWidth")
    assert_accessible(page)

    field(page, "Type d'action").select_option(label="Comptes usagers")
    field(page, "Compte usager").fill("00001")
    page.get_by_role("button", name="Filtrer").click()
    expect(page.get_by_text("1 action, les plus récentes d'abord.")).to_be_visible()
    expect(page.get_by_text("demande d'ouverture de compte n° 4 refusée")).to_have_count(0)
    assert page.evaluate(NO_SIDEWAYS_SCROLL), page.evaluate("document.documentElement.scrollWidth")
    with page.expect_download() as download:
        page.get_by_role("link", name="Exporter en CSV").click()
    assert download.value.suggested_filename.startswith("journal-")


def test_an_account_s_page_fits_a_phone(page, live_server, journal, assert_accessible):
    user, account = journal
    page.set_viewport_size({"width": 320, "height": 640})
    log_in(page, user.email)
    page.goto(f"/backoffice/comptes/{account.pk}/")
    expect(page.get_by_role("heading", name="Journal des actions sur ce compte")).to_be_visible()
    assert page.evaluate(NO_SIDEWAYS_SCROLL), page.evaluate("document.documentElement.scrollWidth")
    assert_accessible(page)
