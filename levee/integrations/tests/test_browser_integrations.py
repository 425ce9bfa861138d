"""« Intégrations » in Chromium, as an administrator works it: « Clés d'API » creates a key
(its secret shown once, then only its start), « Webhooks » registers one and opens its
page. axe on each page, and on a 320 px phone the page never scrolls sideways while its
tables keep their words whole (a narrow screen scrolls the table in its region)."""

import pytest
from playwright.sync_api import expect

from levee.agents.models import Agent
from levee.agents.roles import AgentRole
from testkit import ccfi_world, log_in_by_cookie, make_user

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def administrator(live_server, communes, settings):
    settings.WEBHOOK_ALLOW_LOOPBACK_HTTP = True  # a receiver on this machine, as in the demo
    authority, _account = ccfi_world()
    user = make_user("admin@flandre.example.org")
    Agent.objects.create(authority=authority, user=user, role=AgentRole.ADMINISTRATEUR)
    return user


def on_a_phone(page, region_label: str) -> None:
    """At 320 px: no sideways scroll of the page; the table's region scrolls instead (its
    words were not broken to make it fit)."""
    page.set_viewport_size({"width": 320, "height": 640})
    assert page.evaluate("document.documentElement.scrollWidth") <= 320, page.url
    region = page.get_by_role("region", name=region_label)
    widths = region.evaluate("r => [r.scrollWidth, r.clientWidth]")
    assert widths[0] > widths[1], (page.url, widths)
    page.set_viewport_size({"width": 1280, "height": 800})


def test_an_administrator_creates_a_key_and_registers_a_webhook(
    page, live_server, administrator, assert_accessible
):
    log_in_by_cookie(page, live_server, administrator)
    page.goto(f"{live_server.url}/backoffice/cles-api/")
    assert_accessible(page)
    page.get_by_label("Nom de la clé").fill("Camions de collecte")
    page.get_by_label("Envoyer des levées", exact=False).check()
    page.get_by_role("button", name="Créer la clé").click()
    expect(page.get_by_text("Clé « Camions de collecte » créée")).to_be_visible()
    secret = page.get_by_label("Clé d'API").input_value()
    assert secret.startswith("lvk_")
    assert_accessible(page)
    page.goto(f"{live_server.url}/backoffice/cles-api/")
    expect(page.get_by_text(secret)).to_have_count(0)  # shown once, never again
    start = "_".join(secret.split("_")[:2])  # lvk_<its prefix>, the rest random
    expect(page.get_by_text(start + "_…")).to_be_visible()
    on_a_phone(page, "Clés d'API (tableau défilant)")

    page.goto(f"{live_server.url}/backoffice/webhooks/")
    page.get_by_label("Adresse (URL) du webhook").fill("http://127.0.0.1:9/levee")
    page.get_by_label("Import terminé").check()
    page.get_by_role("button", name="Enregistrer le webhook").click()
    expect(page.get_by_text("Webhook enregistré")).to_be_visible()
    assert_accessible(page)
    on_a_phone(page, "Webhooks (tableau défilant)")
    page.get_by_role("link", name="http://127.0.0.1:9/levee").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Webhook")
    assert_accessible(page)
