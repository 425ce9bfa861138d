"""The README's walk through the CCFI's rôle, on the demo, in Chromium: the real billing of
the 2nd half of 2026, then « Titres et rôles » → « Générer le fichier PES » → « Télécharger
le fichier PES » (the accounts paying by direct debit in it with their mandates) →
« Marquer comme transmis » → « Marquer comme accepté »; the resident reads « Titre en cours
de prise en charge » until then, « Régler » after, and pays the title with its references.
axe on every page, no sideways scroll at 320 px on the agent's pages."""

import datetime
import re

import pytest
from lxml import etree
from playwright.sync_api import expect

from levee.billing.models import Invoice, RunKind
from levee.demo.tests.demo_cache import demo_restore
from levee.payments.models import Mandate, SandboxTransaction
from levee.treasury.models import PesFile, PesFileStatus
from testkit import field

pytestmark = pytest.mark.django_db(transaction=True)

TODAY = datetime.date(2026, 11, 25)
NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= document.documentElement.clientWidth"


@pytest.fixture
def demo(settings, live_server, demo_cache_folder):
    settings.SITE_URL = live_server.url
    settings.PAYMENT_SANDBOX_ONLY = True
    demo_restore(
        today=TODAY,
        shared=demo_cache_folder,
        media_root=settings.MEDIA_ROOT,
        private_root=settings.PRIVATE_ROOT,
    )


def agent_page(chromium_browser, live_server):
    agent = chromium_browser.new_context(base_url=live_server.url, locale="fr-FR").new_page()
    agent.goto("/backoffice/")
    field(agent, "Adresse email").fill("agent.flandre@example.org")
    field(agent, "Mot de passe").fill("Agent-Demo-59!")
    agent.get_by_role("button", name="Connexion").click()
    return agent


def resident_logs_in(page):
    page.goto("/flandre-interieure/")
    page.get_by_role("link", name="J'accède à mon espace").click()
    field(page, "Identifiant (adresse mail)").fill("marie.martin@example.org")
    field(page, "Mot de passe").fill("Usager-Demo-1!")
    page.get_by_role("button", name="Connexion").click()
    page.get_by_role("link", name="Mes factures").first.click()


def fits_a_phone(agent):
    agent.set_viewport_size({"width": 320, "height": 640})
    fits = agent.evaluate(NO_SIDEWAYS_SCROLL)
    width = agent.evaluate("document.documentElement.scrollWidth")
    agent.set_viewport_size({"width": 1280, "height": 800})
    assert fits, width


def test_the_ccfi_sends_its_role_and_its_invoices_become_payable(
    page, chromium_browser, live_server, demo, assert_accessible
):
    agent = agent_page(chromium_browser, live_server)
    agent.get_by_role("navigation", name="Back office").get_by_role(
        "link", name="Facturation"
    ).click()
    agent.get_by_role("link", name="Lancer une facturation").click()
    agent.get_by_role("radio", name="Facturation réelle").check()
    field(agent, "Année").fill("2026")
    field(agent, "Période").select_option(label="2e semestre")
    field(agent, "Date des factures").fill("2026-11-25")
    agent.get_by_role("checkbox", name="Je confirme la facturation réelle").check()
    agent.get_by_role("button", name="Lancer la facturation").click()
    agent.get_by_role("button", name="Confirmer la facturation réelle").click()
    expect(agent.get_by_text("État : Terminée")).to_be_visible()
    number = Invoice.objects.filter(run__kind=RunKind.REAL, account__code="00002").get().number

    resident_logs_in(page)
    row = page.get_by_role("row", name=re.compile(number))
    expect(row).to_contain_text("Titre en cours de prise en charge")
    expect(row.get_by_role("button")).to_have_count(0)
    assert_accessible(page)

    agent.get_by_role("link", name="← Facturations").click()
    agent.get_by_role("link", name="Comptabilité publique").click()
    expect(agent.get_by_role("heading", name="Comptabilité publique", level=1)).to_be_visible()
    expect(agent.get_by_text("Réglages complets")).to_be_visible()
    expect(field(agent, "SIRET de la collectivité (IdColl)")).to_have_value("20004094700190")
    assert_accessible(agent)
    fits_a_phone(agent)

    agent.get_by_role("link", name="Titres et rôles").first.click()
    expect(agent.get_by_role("heading", name="Titres et rôles", level=1)).to_be_visible()
    assert_accessible(agent)
    fits_a_phone(agent)
    # The rôle and its PDFs are written in the request (about 20 s on a quiet machine, much
    # more beside other workers): the click waits for its navigation as long as the page.
    agent.get_by_role("button", name=re.compile("^Générer le fichier PES")).click(timeout=180_000)
    expect(agent.get_by_text(re.compile("généré et contrôlé"))).to_be_visible(timeout=180_000)
    (pes_file,) = PesFile.objects.filter(status=PesFileStatus.GENERATED)
    assert_accessible(agent)
    fits_a_phone(agent)

    with agent.expect_download() as download:
        agent.get_by_role("link", name=re.compile("^Télécharger le fichier PES")).click()
    assert download.value.suggested_filename == f"{pes_file.name}.xml"
    root = etree.parse(download.value.path()).getroot()
    pieces = root.findall(".//Piece")
    assert len(pieces) == pes_file.pieces > 0
    assert number in {leaf.get("V") for leaf in root.iterfind(".//NumDette")}
    debits = root.findall(".//InfoPrelevementSEPA")
    assert pes_file.debited == len({id(d.getparent().getparent().getparent()) for d in debits})
    assert pes_file.debited > 0
    rums = {d.find("RefUniMdt").get("V") for d in debits}
    assert rums <= set(Mandate.objects.values_list("rum", flat=True))
    assert rums

    agent.get_by_role("button", name=re.compile("^Marquer comme transmis")).click()
    expect(agent.get_by_text("marqué transmis au comptable public")).to_be_visible()
    expect(agent.get_by_role("button", name=re.compile("^Générer"))).to_have_count(0)
    assert_accessible(agent)
    agent.get_by_role("button", name=re.compile("^Marquer comme accepté")).click()
    expect(
        agent.get_by_text(re.compile("accepté : ses factures peuvent être réglées"))
    ).to_be_visible()
    assert_accessible(agent)

    page.reload()
    row = page.get_by_role("row", name=re.compile(number))
    expect(row).not_to_contain_text("Titre en cours de prise en charge")
    row.get_by_role("button", name=f"Régler la facture {number}").click()
    expect(page.get_by_role("heading", name="Informations sur la dette")).to_be_visible()
    expect(page.get_by_text(number)).to_be_visible()
    expect(page.get_by_text("Exercice :")).to_be_visible()
    assert_accessible(page)
    sandbox = SandboxTransaction.objects.get(refdet=number)
    assert sandbox.exer == "2026"
