"""Every page type of page_types.PAGE_TYPES, on the demo, in Chromium 320 px wide (WCAG
1.4.10, reflow): the page does not scroll sideways, no element sticks out of the screen
(except inside a box that scrolls itself), and axe finds no WCAG 2.1 A/AA violation; the
same page widened to 1280 px does not scroll sideways either. One page load per page type;
the resident and the agent are logged in by their session's cookie (the login pages are
checked as pages)."""

import datetime
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.urls import resolve, reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from levee.accounts.models import User
from levee.agents.tokens import invitation_token
from levee.billing import services_alerts
from levee.billing.models import BillingRun, Invoice, Tariff
from levee.billing.tests.factories import make_run
from levee.calendars import services_reminders
from levee.calendars.models import CollectionReminder, CollectionSchedule, Sector
from levee.collection.models import Bin, ImportBatch, ImportKind, ImportStatus, Lift
from levee.demo.tests.demo_cache import demo_restore
from levee.integrations.services import api_key_create, webhook_endpoint_create
from levee.payments.models import CollectionImport, GatewayName, Payment, PaymentStatus
from levee.requests.tests.conftest import make_request
from levee.space.tests.page_types import AGENT, ANONYMOUS, LOGIN, PAGE_TYPES, RESIDENT
from levee.subscribers.models import Account
from testkit import log_in_by_cookie, make_opening_request, make_user

pytestmark = pytest.mark.django_db(transaction=True)

TODAY = datetime.date(2026, 11, 25)  # the date of the seed 004 test: one demo load per run

# The elements whose right edge passes the screen's, outside any box that scrolls or clips
# them. An absolutely positioned element (a visually hidden label in a table's last column)
# escapes the boxes between it and its containing block: it widens the page from there.
STICKING_OUT = """
() => {
  const width = document.documentElement.clientWidth;
  const contained = (element) => {
    let escaping = getComputedStyle(element).position === "absolute";
    for (let node = element.parentElement; node && node !== document.body; node = node.parentElement) {
      const style = getComputedStyle(node);
      if (style.position !== "static") escaping = false;  // its containing block
      if (!escaping && style.overflowX !== "visible") return true;
    }
    return false;
  };
  const out = [];
  for (const element of document.body.querySelectorAll("*")) {
    const box = element.getBoundingClientRect();
    if (box.width === 0 || box.height === 0 || box.right <= width + 1) continue;
    const style = getComputedStyle(element);
    if (style.visibility === "hidden" || style.position === "fixed" || contained(element)) continue;
    out.push(`${element.tagName.toLowerCase()}.${element.className} ${Math.round(box.right)} px: `
             + (element.textContent || "").trim().slice(0, 60));
  }
  return out.slice(0, 5);
}
"""


@pytest.fixture
def demo(settings, live_server, demo_cache_folder):
    """The demo until TODAY, with what it lacks for some pages: a request of Marie Martin
    waiting for an agent, an opening request, an import, a login without an account."""
    settings.SITE_URL = live_server.url
    settings.PAYMENT_SANDBOX_ONLY = True
    demo_restore(
        today=TODAY,
        shared=demo_cache_folder,
        media_root=settings.MEDIA_ROOT,
        private_root=settings.PRIVATE_ROOT,
    )
    resident = User.objects.get(email="marie.martin@example.org")
    agent = User.objects.get(email="agent.flandre@example.org")
    account = Account.objects.get(authority__slug="flandre-interieure", code="00002")
    authority = account.authority
    request = make_request(SimpleNamespace(account=account, resident=resident))
    opening = make_opening_request(
        authority,
        authority.communes.get(insee="59043"),
        make_user("paul.martin@example.org"),
        postal_code="59270",
    )
    batch = ImportBatch.objects.create(
        authority=authority,
        kind=ImportKind.LIFTS,
        filename="levees-novembre-2026-tournee-hazebrouck-nord-et-bailleul-centre.csv",
        status=ImportStatus.DONE,
        rows_total=3,
        rows_imported=2,
        rows_rejected=1,
        rejected_report="ligne;motif\n3;poids_kg « douze » n'est pas un nombre\n",
        created_by=agent,
    )
    new_user = make_user("dupont59@gmail.com", active=False)
    reset_user = make_user("pierre.dupont@example.org")
    invoice = Invoice.objects.filter(account=account).order_by("-pk").first()
    return SimpleNamespace(
        slug=authority.slug,
        pilat="pilat-rhodanien",
        reminder_token=services_reminders.unsubscribe_token(
            CollectionReminder.objects.create(
                authority=authority, account=account, user=resident, fluxes=["om"], on_eve=True
            )
        ),
        alert_token=services_alerts.unsubscribe_token(account),
        year=TODAY.year,
        resident=resident,
        agent=agent,
        login=make_user("sans.compte@example.org"),
        account=account,
        other_account=Account.objects.get(authority=authority, code="00001"),
        request=request,
        opening=opening,
        batch=batch,
        run=BillingRun.objects.filter(authority=authority).order_by("-pk").first()
        or make_run(authority, year=TODAY.year - 1),
        invoice=invoice,
        payment=Payment.objects.create(
            authority=authority,
            invoice=invoice,
            account=account,
            gateway=GatewayName.SANDBOX,
            status=PaymentStatus.REFUSED,
            amount_cents=invoice.total_cents,
        ),
        tariff=Tariff.objects.filter(authority=authority).order_by("-pk").first(),
        collection_import=CollectionImport.objects.filter(authority=authority).first(),
        schedule=CollectionSchedule.objects.filter(authority=authority).first(),
        sector=Sector.objects.filter(authority=authority).first(),
        lift=Lift.objects.filter(bin__account=account).order_by("-pk").first(),
        bin=Bin.objects.filter(account=account).first(),
        activation=user_token(new_user),
        reset=user_token(reset_user),
        invitation=user_token(agent, invitation_token),
        api_key=api_key_create(
            authority=authority,
            name="Camions de collecte",
            scopes=["lifts:write"],
            created_by=agent,
        )[0],
        webhook=webhook_endpoint_create(
            authority=authority,
            url="https://logiciel-de-facturation.example.org/levee/evenements",
            events=["payment.confirmed", "import.finished"],
            created_by=agent,
        )[0],
    )


def user_token(user, generator=default_token_generator) -> dict:
    return {
        "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
        "token": generator.make_token(user),
    }


def every_page_fits(page, world, visitor, assert_accessible):
    """Loads each page type of `visitor` once and lists what fails on any of them."""
    page.set_viewport_size({"width": 320, "height": 640})
    checked, problems = 0, []
    for page_type in PAGE_TYPES:
        if page_type.visitor != visitor:
            continue
        url = reverse(page_type.name, kwargs=page_type.kwargs(world))
        url += page_type.query.format(lift_pk=world.lift.pk)
        response = page.goto(url)
        checked += 1
        if response.status != page_type.status:
            problems.append(f"{url}: answered {response.status}")
            continue
        if resolve(urlsplit(page.url).path).view_name != page_type.name:
            problems.append(f"{url}: sent to {page.url}, another page type")
            continue
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 320:
            problems.append(f"{url}: {width} px wide")
        sticking_out = page.evaluate(STICKING_OUT)
        if sticking_out:
            problems.append(f"{url}: wider than the screen: {sticking_out}")
        try:
            assert_accessible(page)
        except AssertionError as error:
            problems.append(str(error))
        page.set_viewport_size({"width": 1280, "height": 800})  # the same page on a desktop
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 1280:
            problems.append(f"{url}: {width} px wide at 1280 px")
        page.set_viewport_size({"width": 320, "height": 640})
    assert checked
    assert not problems, "\n".join(problems)


def test_every_public_page_fits_a_320_px_phone(page, demo, assert_accessible):
    every_page_fits(page, demo, ANONYMOUS, assert_accessible)


def test_every_page_of_the_space_fits_a_320_px_phone(page, live_server, demo, assert_accessible):
    # « Associer un autre compte » half done: Hazebrouck chosen, Pierre Dupont's key found.
    association = {"insee": "59295", "postal_code": "59190", "account": demo.other_account.pk}
    log_in_by_cookie(page, live_server, demo.resident, association=association)
    every_page_fits(page, demo, RESIDENT, assert_accessible)


def test_the_page_of_a_login_without_account_fits_a_320_px_phone(
    page, live_server, demo, assert_accessible
):
    log_in_by_cookie(page, live_server, demo.login)
    every_page_fits(page, demo, LOGIN, assert_accessible)


def test_every_page_of_the_back_office_fits_a_320_px_phone(
    page, live_server, demo, assert_accessible
):
    log_in_by_cookie(page, live_server, demo.agent)
    every_page_fits(page, demo, AGENT, assert_accessible)
