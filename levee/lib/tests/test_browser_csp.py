"""The Content-Security-Policy in Chromium: the pages keep working under it (the `page`
fixture fails a test on any violation), the anti-robot widget included."""

import pytest
from playwright.sync_api import expect

from testkit import field, pilat_world

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_opening_forms_captcha_solves_under_the_policy(page):
    pilat_world()
    workers = []
    page.on("worker", lambda worker: workers.append(worker.url))

    response = page.goto("/pilat-rhodanien/ouvrir-un-compte/42168/42410/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    field(page, "Je ne suis pas un robot").click()

    expect(page.get_by_text("Vérifié : vous n'êtes pas un robot")).to_be_visible()
    assert workers and all(url.endswith("/static/vendor/altcha/worker.js") for url in workers)
    # The widget's own style sheet applies (its box has the border altcha.css draws).
    border = page.locator(".altcha").evaluate("e => getComputedStyle(e).borderTopStyle")
    assert border == "solid"


def test_the_authority_colour_applies_from_its_style_sheet(page):
    authority, _ = pilat_world()
    authority.primary_color = "#7a1f5c"
    authority.save(update_fields=["primary_color"])

    page.goto("/pilat-rhodanien/")

    header = page.locator(".site-header").evaluate("e => getComputedStyle(e).backgroundColor")
    assert header == "rgb(122, 31, 92)"
