"""« Prélèvements » in Chromium: a régie's agent generates the pain.008 file of the debits
due up to a date, downloads it, marks it transmitted; axe on each step, no sideways scroll
at 320 px."""

import pytest
from lxml import etree
from playwright.sync_api import expect

from levee.agents.models import Agent
from levee.agents.roles import AgentRole
from levee.payments.models import DebitFile, DebitFileStatus, DebitStatus, ScheduledDebit
from testkit import PASSWORD, field, make_user

from .debit_world import RegieWorld

pytestmark = pytest.mark.django_db(transaction=True)
NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= document.documentElement.clientWidth"


def fits_a_phone(page):
    page.set_viewport_size({"width": 320, "height": 640})
    fits = page.evaluate(NO_SIDEWAYS_SCROLL)
    width = page.evaluate("document.documentElement.scrollWidth")
    page.set_viewport_size({"width": 1280, "height": 800})
    assert fits, width


@pytest.fixture
def regie(live_server):
    world = RegieWorld()
    agent = make_user("agent.pilat@example.org")
    Agent.objects.create(authority=world.authority, user=agent, role=AgentRole.FACTURATION)
    return world


def test_an_agent_generates_downloads_and_transmits_the_debit_file(
    page, live_server, regie, assert_accessible, tmp_path
):
    page.goto("/backoffice/")
    field(page, "Adresse email").fill("agent.pilat@example.org")
    field(page, "Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    page.goto("/backoffice/prelevements/")
    expect(page.get_by_role("heading", name="Prélèvements", exact=True)).to_be_visible()
    assert_accessible(page)
    fits_a_phone(page)

    field(page, "Prélèvements dus jusqu'au").fill("")  # no date: told next to it
    page.get_by_role("button", name="Générer le fichier de prélèvements").click()
    expect(
        page.get_by_text("Choisissez la date jusqu'à laquelle les prélèvements sont dus.")
    ).to_be_visible()
    assert_accessible(page)

    field(page, "Prélèvements dus jusqu'au").fill("2027-01-31")
    page.get_by_role("button", name="Générer le fichier de prélèvements").click()
    expect(page.get_by_text("Fichier de prélèvements généré et contrôlé")).to_be_visible()
    expect(page.get_by_text("2 prélèvements, 153,45")).to_be_visible()
    assert_accessible(page)
    fits_a_phone(page)

    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger").click()
    target = tmp_path / "pain008.xml"
    download.value.save_as(target)
    root = etree.parse(str(target)).getroot()
    assert root.tag == "{urn:iso:std:iso:20022:tech:xsd:pain.008.001.02}Document"
    assert download.value.suggested_filename.startswith("prelevements-00420-20270131")

    page.get_by_role("button", name="Marquer comme transmis").click()
    expect(page.get_by_text("marqué transmis à la banque")).to_be_visible()
    expect(page.get_by_role("button", name="Marquer comme transmis")).to_have_count(0)
    expect(page.get_by_role("button", name="Importer les rejets")).to_be_visible()
    assert_accessible(page)
    fits_a_phone(page)
    assert DebitFile.objects.get().status == DebitFileStatus.TRANSMITTED
    assert ScheduledDebit.objects.filter(status=DebitStatus.SENT).count() == 2
