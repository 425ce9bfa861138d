"""The « Agents » page in Chromium: the administrator adds an agent from the keyboard, who
chooses his password from the email and finds a back office that fits his role."""

import re

import pytest
from playwright.sync_api import expect

from levee.agents.models import Agent
from levee.agents.roles import AgentRole
from testkit import PASSWORD, ccfi_world, field, make_user

pytestmark = pytest.mark.django_db(transaction=True)

NEW_PASSWORD = "Nouveau-mot2passe!"


@pytest.fixture
def site(settings, live_server):
    settings.SITE_URL = live_server.url
    return live_server


def log_in(page, email, password=PASSWORD):
    page.goto("/backoffice/")
    field(page, "Adresse email").fill(email)
    field(page, "Mot de passe").fill(password)
    page.get_by_role("button", name="Connexion").click()


def test_the_administrator_adds_an_agent_who_sets_his_password_and_reads_only(
    page, chromium_browser, site, mailbox, assert_accessible
):
    authority, _ = ccfi_world()
    Agent.objects.create(
        authority=authority,
        user=make_user("admin@flandre.example.org"),
        role=AgentRole.ADMINISTRATEUR,
    )
    Agent.objects.create(
        authority=authority, user=make_user("accueil@flandre.example.org"), role=AgentRole.ACCUEIL
    )
    log_in(page, "admin@flandre.example.org")
    page.get_by_role("navigation", name="Back office").get_by_role("link", name="Agents").click()
    expect(page.get_by_role("heading", name="Agents de la collectivité")).to_be_visible()
    expect(page.get_by_text("Seul administrateur : nommez-en un autre")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("button", name="Ajouter l'agent").click()  # nothing filled in
    expect(page.get_by_text("Indiquez l'adresse email de l'agent.")).to_be_visible()
    expect(page.get_by_text("Choisissez le rôle de l'agent.")).to_be_visible()
    expect(field(page, "Adresse email")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)

    # From the keyboard: type, tab to the next fields, pick the role with the arrows.
    field(page, "Adresse email").fill("julie.martin@flandre.example.org")
    page.keyboard.press("Tab")
    page.keyboard.type("Julie")
    page.keyboard.press("Tab")
    page.keyboard.type("Martin")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Accueil", exact=True)).to_be_focused()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(page.get_by_label("Consultation", exact=True)).to_be_checked()
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(
        page.get_by_text(
            "julie.martin@flandre.example.org est agent de la collectivité, avec le rôle "
            "« Consultation »."
        )
    ).to_be_visible()
    row = page.get_by_role("row", name="Julie MARTIN")
    expect(row.get_by_text("Invitation envoyée : mot de passe pas encore choisi.")).to_be_visible()
    assert_accessible(page)

    page.get_by_label("Rôle de accueil@flandre.example.org").select_option(label="Facturation")
    page.get_by_role("button", name="Changer le rôle de accueil@flandre.example.org").click()
    expect(
        page.get_by_text("accueil@flandre.example.org a désormais le rôle « Facturation ».")
    ).to_be_visible()
    page.get_by_role("button", name="Désactiver accueil@flandre.example.org").click()
    expect(page.get_by_role("table", name="Agents désactivés (1)")).to_be_visible()
    assert_accessible(page)

    # The journal shows those changes to every agent, with before and after.
    page.get_by_role("link", name="Journal").click()
    expect(page.get_by_role("heading", name="Journal des actions")).to_be_visible()
    # In French now (issue 12, item 8), no longer the action's code.
    expect(page.get_by_text(re.compile(r"rôle de .*Accueil → Facturation")).first).to_be_visible()
    assert_accessible(page)

    newcomer = chromium_browser.new_context(base_url=site.url, locale="fr-FR").new_page()
    newcomer.goto(mailbox.last_link("julie.martin@flandre.example.org", "/mot-de-passe/"))
    expect(newcomer.get_by_role("heading", name="Choisir votre mot de passe")).to_be_visible()
    assert_accessible(newcomer)
    field(newcomer, "Nouveau mot de passe").fill(NEW_PASSWORD)
    field(newcomer, "Confirmation du nouveau mot de passe").fill(NEW_PASSWORD)
    newcomer.get_by_role("button", name="Valider").click()
    expect(newcomer.get_by_text("Votre mot de passe est enregistré")).to_be_visible()
    log_in(newcomer, "julie.martin@flandre.example.org", NEW_PASSWORD)
    expect(newcomer.get_by_text("julie.martin@flandre.example.org — Consultation")).to_be_visible()
    nav = newcomer.get_by_role("navigation", name="Back office")
    expect(nav.get_by_role("link", name="Agents")).to_have_count(0)
    newcomer.goto("/backoffice/agents/")
    expect(newcomer.get_by_role("heading", name="Accès refusé")).to_be_visible()
    expect(newcomer.get_by_text("réservée au rôle « Administrateur »")).to_be_visible()
    assert_accessible(newcomer)
    newcomer.context.close()
