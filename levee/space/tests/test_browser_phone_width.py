"""A 320 px wide phone in Chromium (WCAG 1.4.10, reflow): no page of the space nor of the
back office scrolls sideways; wide tables scroll inside their own box, the QR code of the
two-factor enrolment shrinks, the payment sandbox reflows. axe on every page."""

import datetime
import re
from types import SimpleNamespace

import pytest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from levee.accounts.models import User
from levee.agents.models import Agent
from levee.billing.models import BillingSettings
from levee.billing.tests.factories import make_seed_invoice, make_simulation, make_tariff
from levee.collection.tests.conftest import make_bin
from levee.collection.tests.test_production_page import weekly_lifts
from levee.payments.tests.conftest import World
from levee.requests.tests.conftest import make_request
from levee.twofactor.tests.conftest import next_code
from testkit import PASSWORD, ccfi_world, field, make_account, make_user

pytestmark = pytest.mark.django_db(transaction=True)

SCROLL_WIDTH = "document.documentElement.scrollWidth"

SPACE_PAGES = [
    ("/flandre-interieure/espace/", "Mes prochaines collectes"),
    ("/flandre-interieure/espace/mes-factures/", "Mes factures"),
    ("/flandre-interieure/espace/mes-bacs-levees/", "Mes bacs/levées"),
    ("/flandre-interieure/espace/suivi-de-mes-demandes/", "Suivi de mes demandes"),
    ("/flandre-interieure/espace/mon-profil/", "Mon profil"),
    (
        "/flandre-interieure/espace/mes-services/modifier-mes-coordonnees/",
        "Modifier mes coordonnées",
    ),
]


@pytest.fixture
def phone_world(settings, live_server):
    """Pierre Dupont with two accounts (the account selector shows), lifts, an invoice, an
    estimate and a request waiting for an agent of CCFI."""
    settings.SITE_URL = live_server.url
    authority, dupont = ccfi_world()
    dupont.phone = "0601020304"
    dupont.save(update_fields=["phone"])
    second = make_account(
        authority, code="00003", portal_key="SECONDAC", street="rue de la Gare", number="12"
    )
    year = timezone.localdate().year
    start = timezone.make_aware(datetime.datetime(year, 1, 1, 7))
    weekly_lifts(make_bin(dupont, chip="E0040001"), 1, start=start)
    make_tariff(authority, year)
    make_seed_invoice(dupont)
    make_simulation(dupont, year=year)
    resident = make_user("dupont59@gmail.com", accounts=[dupont, second])
    agent = make_user("agent.flandre@example.org")
    Agent.objects.create(authority=authority, user=agent)
    world = SimpleNamespace(account=dupont, resident=resident)
    request = make_request(world)
    return SimpleNamespace(request=request)


def fits_the_phone(page, assert_accessible):
    width = page.evaluate(SCROLL_WIDTH)
    assert width <= 320, f"{page.url}: {width} px wide"
    assert_accessible(page)


def test_the_space_fits_a_320_px_phone(page, live_server, phone_world, assert_accessible):
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto("/flandre-interieure/connexion/")
    field(page, "Identifiant (adresse mail)").fill("dupont59@gmail.com")
    field(page, "Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    expect(page.get_by_role("navigation", name="Mon espace")).to_be_attached()
    for url, heading in SPACE_PAGES:
        page.goto(url)
        expect(page.get_by_role("heading", name=heading).first).to_be_visible()
        fits_the_phone(page, assert_accessible)


def test_the_back_office_fits_a_320_px_phone(page, live_server, phone_world, assert_accessible):
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto("/backoffice/")
    field(page, "Adresse email").fill("agent.flandre@example.org")
    field(page, "Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    expect(page.get_by_role("heading", level=1).first).to_be_visible()
    fits_the_phone(page, assert_accessible)
    page.goto("/backoffice/demandes/")
    expect(page.get_by_role("heading", level=1).first).to_be_visible()
    fits_the_phone(page, assert_accessible)
    page.goto(f"/backoffice/demandes/{phone_world.request.pk}/")
    expect(page.get_by_role("heading", level=1).first).to_be_visible()
    fits_the_phone(page, assert_accessible)


def test_two_factor_authentication_fits_a_320_px_phone(
    page, live_server, settings, phone_world, assert_accessible
):
    """Its three pages: the enrolment and its QR code (which shrinks), the recovery codes
    shown once, the code asked at the next login."""
    settings.TWO_FACTOR_REQUIRED = True
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto("/backoffice/")
    field(page, "Adresse email").fill("agent.flandre@example.org")
    field(page, "Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    expect(page.get_by_role("heading", name="Activer la double authentification")).to_be_visible()
    qr = page.get_by_role("img", name="Code QR à scanner")
    expect(qr).to_be_visible()
    assert qr.bounding_box()["width"] >= 150
    fits_the_phone(page, assert_accessible)

    device = TOTPDevice.objects.get(user__email="agent.flandre@example.org")
    field(page, "Code à 6 chiffres affiché par l'application").fill(next_code(device))
    field(page, "Code à 6 chiffres affiché par l'application").press("Enter")
    expect(page.get_by_role("heading", name="Vos codes de secours")).to_be_visible()
    fits_the_phone(page, assert_accessible)

    page.context.clear_cookies()
    page.goto("/backoffice/")
    field(page, "Adresse email").fill("agent.flandre@example.org")
    field(page, "Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    expect(page).to_have_url(re.compile("/securite/code/"))
    fits_the_phone(page, assert_accessible)


def test_paying_online_in_the_sandbox_fits_a_320_px_phone(
    page, live_server, settings, assert_accessible
):
    settings.SITE_URL = live_server.url
    settings.PAYMENT_SANDBOX_ONLY = True
    world = World()
    BillingSettings.objects.create(authority=world.authority, treasury_name="TRES. HAZEBROUCK")
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto("/flandre-interieure/connexion/")
    field(page, "Identifiant (adresse mail)").fill("dupont59@gmail.com")
    field(page, "Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    page.get_by_role("link", name="Mes factures").first.click()
    page.get_by_role("button", name="Régler la facture 2300240069928").click()
    expect(page.get_by_role("heading", name="Informations sur la dette")).to_be_visible()
    fits_the_phone(page, assert_accessible)
    page.get_by_role("link", name="Payer par carte bancaire").click()
    expect(page.get_by_text("TRES. HAZEBROUCK").first).to_be_visible()
    fits_the_phone(page, assert_accessible)


def test_mes_factures_reads_as_cards_on_a_320_px_phone(
    page, live_server, settings, assert_accessible
):
    """Each invoice a card: its number, date, amount and « Régler » on the screen without
    scrolling sideways, even inside the table's box; still a table to screen readers."""
    settings.SITE_URL = live_server.url
    World()
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto("/flandre-interieure/connexion/")
    field(page, "Identifiant (adresse mail)").fill("dupont59@gmail.com")
    field(page, "Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    page.get_by_role("link", name="Mes factures").first.click()
    row = page.get_by_role("row").filter(has_text="2300240069928")
    date = re.compile(r"^[0-9]{2}.[0-9]{2}.20[0-9]{2}$")
    for part in [
        row.get_by_role("cell", name=date),
        row.get_by_role("cell", name="2300240069928", exact=True),
        row.get_by_role("cell", name="87,94 €", exact=True),
        row.get_by_role("button", name="Régler la facture 2300240069928"),
    ]:
        expect(part).to_be_visible()
        box = part.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 320, box
    scroll_box = page.get_by_role("region", name="Mes factures (tableau défilant)")
    assert scroll_box.evaluate("box => box.scrollWidth <= box.clientWidth")
    expect(page.get_by_role("columnheader", name="Montant TTC")).to_be_attached()
    # The help of « Facture dématérialisée » reads under its label, not in a thin column.
    label = page.get_by_text("Recevoir mes factures uniquement par email").bounding_box()
    help_box = page.get_by_text("Vous ne recevez plus la facture papier").bounding_box()
    assert help_box["y"] >= label["y"] + label["height"] and help_box["width"] >= 200
    fits_the_phone(page, assert_accessible)


# Where a piece of the space's header sits: the tops of the lines its text runs on.
TEXT_LINES = """
(piece) => {
  const header = document.querySelector(".account-header");
  const walker = document.createTreeWalker(header, NodeFilter.SHOW_TEXT);
  const nodes = [];
  let text = "";
  while (walker.nextNode()) { nodes.push([walker.currentNode, text.length]); text += walker.currentNode.data; }
  const start = text.indexOf(piece), end = start + piece.length;
  if (start < 0) return null;
  const range = document.createRange();
  for (const [node, offset] of nodes) {
    if (offset <= start && start <= offset + node.data.length) range.setStart(node, start - offset);
    if (offset <= end && end <= offset + node.data.length) { range.setEnd(node, end - offset); break; }
  }
  return [...new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)))];
}
"""


@pytest.mark.parametrize("ended_on", [None, datetime.date(2024, 3, 15)])
def test_the_headers_end_date_stays_with_its_label_and_never_wraps_alone_at_1280_px(
    page, live_server, settings, ended_on
):
    """Whatever the length of the email before them (from a short one to one that fills the
    line), « Terminé le : » and its date sit on one line, with « Souscrit le : »."""
    settings.SITE_URL = live_server.url
    authority, account = ccfi_world()
    if ended_on:
        account.subscriptions.update(ended_on=ended_on)
    user = make_user("dupont59@gmail.com", accounts=[account])
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto("/flandre-interieure/connexion/")
    field(page, "Identifiant (adresse mail)").fill("dupont59@gmail.com")
    field(page, "Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    end = "Terminé le : 15 mars 2024" if ended_on else "Terminé le :"
    for length in range(0, 100, 4):
        email = "pierre." + "d" * length + "@exemple.fr"
        User.objects.filter(pk=user.pk).update(email=email)
        page.goto("/flandre-interieure/espace/")
        expect(page.get_by_role("region", name="Mon compte")).to_contain_text(email)
        (end_line,) = page.evaluate(TEXT_LINES, end)  # the label and its date on one line
        start_line = page.evaluate(TEXT_LINES, "Souscrit le : 30 juin 2022")
        assert start_line == [end_line], email  # never alone on a line of its own
