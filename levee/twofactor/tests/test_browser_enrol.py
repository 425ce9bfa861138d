"""Enrolment in Chromium, from the keyboard: an agent's first login shows the QR code, the
first code from his app enables it, the recovery codes are shown once, then the back office."""

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from levee.agents.models import Agent
from levee.agents.roles import AgentRole
from testkit import PASSWORD, ccfi_world, field, make_user

from .conftest import next_code

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_agent_enrols_his_authenticator_app_from_the_keyboard(
    page, live_server, settings, assert_accessible
):
    settings.TWO_FACTOR_REQUIRED = True
    authority, _ = ccfi_world()
    user = make_user("accueil@flandre.example.org")
    Agent.objects.create(authority=authority, user=user, role=AgentRole.ACCUEIL)

    page.goto("/backoffice/")
    field(page, "Adresse email").fill("accueil@flandre.example.org")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="Activer la double authentification")).to_be_visible()
    expect(page.get_by_role("img", name="Code QR à scanner")).to_be_visible()
    assert_accessible(page)

    code_field = field(page, "Code à 6 chiffres affiché par l'application")
    code_field.focus()
    page.keyboard.type("000000")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Ce code n'est pas le bon")).to_be_visible()
    expect(code_field).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)

    device = TOTPDevice.objects.get(user=user)
    device.throttling_failure_count = 0  # django-otp's own delay after the wrong code
    device.save(update_fields=["throttling_failure_count"])
    code_field.focus()
    page.keyboard.press("Control+A")
    page.keyboard.type(next_code(device))
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="Vos codes de secours")).to_be_visible()
    expect(page.get_by_role("listitem")).to_have_count(10)
    assert_accessible(page)
    link = page.get_by_role("link", name="J'ai noté mes codes, continuer")
    link.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Tableau de bord")).to_be_visible()
