"""In Chromium: a resident asks, the agent refuses in the back office with a reason, and the
resident reads « Motif du refus » and that reason in « Suivi de mes demandes »; axe on every
page."""

import re

import pytest
from playwright.sync_api import expect

from levee.agents.models import Agent
from levee.collection.tests.conftest import make_bin
from testkit import ccfi_world, field, make_user, png_bytes

from .test_browser_request_types import (
    agent_page,
    decided,
    log_in,
    open_request,
    open_service,
    valider,
)

pytestmark = pytest.mark.django_db(transaction=True)

REASON = "Votre bac de 140 L convient à un foyer de trois personnes : nous ne le changeons pas."


@pytest.fixture
def world(settings, live_server, communes, tmp_path):
    settings.SITE_URL = live_server.url
    ccfi, account = ccfi_world()
    make_bin(account, chip="E0040001", volume=140)
    make_user("dupont59@gmail.com", accounts=[account])
    Agent.objects.create(authority=ccfi, user=make_user("agent.flandre@example.org"))
    photo = tmp_path / "bac.png"
    photo.write_bytes(png_bytes())
    return str(photo)


def test_the_resident_reads_why_the_agent_refused_his_request(
    page, chromium_browser, live_server, world, mailbox, assert_accessible
):
    log_in(page, "dupont59@gmail.com")
    open_service(page, "Demande d'intervention sur mon bac", assert_accessible)
    field(page, "Bac concerné").select_option(label="Ordures ménagères 140 L — puce E0040001")
    field(page, "Intervention demandée").select_option(label="Changement de volume")
    field(page, "Nouveau volume").select_option(label="240 litres")
    field(page, "Description").fill("Nous voudrions un bac plus grand.")
    field(page, "Photo (facultative)").set_input_files(world)
    valider(page, "Intervention sur mon bac", assert_accessible)

    agent = agent_page(chromium_browser, live_server, "agent.flandre@example.org")
    open_request(agent, "Demande d'intervention sur mon bac", assert_accessible)
    agent.get_by_role("button", name="Refuser", exact=True).click()
    expect(field(agent, "Motif du refus (envoyé à l'usager)")).to_have_attribute(
        "aria-invalid", "true"
    )  # a refusal says why
    assert_accessible(agent)
    field(agent, "Motif du refus (envoyé à l'usager)").fill(REASON)
    agent.get_by_role("button", name="Refuser", exact=True).click()
    decided(agent, "Demande refusée", assert_accessible)
    expect(agent.get_by_text(f"Motif du refus : {REASON}")).to_be_visible()
    agent.context.close()

    page.get_by_role("link", name="Suivi de mes demandes").first.click()
    expect(page.get_by_role("heading", name="Suivi de mes demandes")).to_be_visible()
    row = page.get_by_role("row").filter(has_text="Intervention sur mon bac")
    expect(row.get_by_role("cell").nth(2)).to_have_text("REFUSÉ")
    assert_accessible(page)
    row.get_by_role("link", name=re.compile("^Intervention sur mon bac du")).click()
    expect(page.get_by_text("Statut : REFUSÉ")).to_be_visible()
    expect(page.get_by_text(f"Motif du refus : {REASON}")).to_be_visible()
    assert_accessible(page)

    refused = next(m for m in reversed(mailbox.messages) if m.to == ["dupont59@gmail.com"])
    assert REASON in refused.body
