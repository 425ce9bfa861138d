"""The pages the audit lists (docs/accessibility/audit.toml) are those checked here in
Chromium: axe-core finds no WCAG 2.1 A/AA violation, none scrolls sideways at 320 px, and
each footer links the « Déclaration d'accessibilité » with the audit's state."""

import pytest
from playwright.sync_api import expect

from levee.agents.models import Agent
from levee.lib.accessibility import accessibility_audit
from testkit import PASSWORD, ccfi_world, field, make_user

pytestmark = pytest.mark.django_db(transaction=True)


def test_every_audited_page_passes_axe_and_links_the_statement(
    page, live_server, settings, assert_accessible
):
    settings.SITE_URL = live_server.url
    authority, account = ccfi_world()
    user = make_user("dupont59@gmail.com", accounts=[account])
    Agent.objects.create(authority=authority, user=user)
    audit = accessibility_audit()
    state = f"Accessibilité : {audit.state}"

    page.set_viewport_size({"width": 320, "height": 640})
    page.goto("/flandre-interieure/connexion/")
    field(page, "Identifiant (adresse mail)").fill("dupont59@gmail.com")
    field(page, "Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    expect(page.get_by_role("navigation", name="Mon espace")).to_be_attached()
    for audited in audit.pages:
        url = audited.url_for(authority.slug)
        response = page.goto(url)
        assert response.status == 200, url
        link = page.get_by_role("contentinfo").get_by_role("link", name=state)
        expect(link).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 320, url
        assert_accessible(page)
    page.goto("/flandre-interieure/")
    page.get_by_role("contentinfo").get_by_role("link", name=state).click()
    expect(page.get_by_role("heading", name="Déclaration d'accessibilité")).to_be_visible()
    expect(page.get_by_role("heading", name="Voies de recours")).to_be_visible()
