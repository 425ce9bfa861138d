"""Acting on behalf in Chromium: at the counter, an agent finds account 00001 in the back
office, opens the resident's space, makes « Modifier mes informations personnelles » for
him and leaves; a colleague accepts it; the resident reads in « Suivi » that it was made at
the counter. axe on every page."""

import pytest
from playwright.sync_api import expect

from levee.agents.models import Agent
from levee.agents.roles import AgentRole
from testkit import PASSWORD, ccfi_world, field, make_user

pytestmark = pytest.mark.django_db(transaction=True)

COUNTER = "Demande faite au guichet par Jeanne LEROY"


@pytest.fixture
def counter(settings, live_server):
    settings.SITE_URL = live_server.url
    _, account = ccfi_world()
    account.email = "dupont59@gmail.com"
    account.save(update_fields=["email"])
    make_user("dupont59@gmail.com", accounts=[account])
    jeanne = make_user("jeanne.leroy@flandre.example.org")
    jeanne.first_name, jeanne.last_name = "Jeanne", "Leroy"
    jeanne.save(update_fields=["first_name", "last_name"])
    Agent.objects.create(authority=account.authority, user=jeanne, role=AgentRole.ACCUEIL)
    Agent.objects.create(
        authority=account.authority,
        user=make_user("admin.flandre@example.org"),
        role=AgentRole.ADMINISTRATEUR,
    )
    return account


def agent_logs_in(page, email: str):
    page.goto("/backoffice/")
    field(page, "Adresse email").fill(email)
    field(page, "Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()


def test_an_agent_makes_a_request_at_the_counter(
    page, chromium_browser, live_server, counter, assert_accessible
):
    agent_logs_in(page, "jeanne.leroy@flandre.example.org")
    page.get_by_role("link", name="Comptes usagers").click()
    field(page, "Rechercher (code usager, clé, nom, rue, email)").fill("00001")
    page.get_by_role("button", name="Rechercher").click()
    page.get_by_role("link", name="00001").click()
    expect(page.get_by_role("heading", name="Compte 00001 — DUPONT PIERRE")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Ouvrir l'espace de l'usager").click()

    banner = page.get_by_role("region", name="Agir pour le compte d'un usager")
    expect(banner).to_contain_text(
        "Vous agissez pour le compte de DUPONT PIERRE (code usager 00001)"
    )
    expect(
        page.get_by_text("PIERRE DUPONT - dupont59@gmail.com | Référence abonné : 00001")
    ).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Mes informations").last.click()
    expect(page.get_by_role("link", name="Modifier mon mot de passe")).to_have_count(0)
    expect(page.get_by_role("button", name="Modifier mes choix")).to_have_count(0)
    assert_accessible(page)
    page.get_by_role("link", name="Mes services").last.click()
    page.get_by_role("link", name="Modifier mes informations personnelles").click()
    expect(banner).to_be_visible()
    expect(field(page, "Nom")).to_have_value("DUPONT")
    assert_accessible(page)
    field(page, "Prénom").fill("PIERRICK")
    field(page, "N°").fill("30")
    page.get_by_role("button", name="Valider").click()
    expect(page.get_by_text("enregistrée pour le compte de l'usager")).to_be_visible()
    page.get_by_role("link", name="Suivi de mes demandes").first.click()
    row = page.get_by_role("row").nth(1)
    expect(row).to_contain_text(COUNTER)
    expect(row.get_by_role("cell").nth(2)).to_have_text("EN COURS")
    assert_accessible(page)
    # What is the resident's own is refused, and says so.
    response = page.goto("/flandre-interieure/espace/mot-de-passe/")
    assert response.status == 403
    expect(page.get_by_role("heading", name="Action réservée à l'usager")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Retour à l'espace de l'usager").click()
    banner.get_by_role("button", name="Quitter").click()
    expect(
        page.get_by_text("Vous avez quitté l'espace de DUPONT PIERRE (code usager 00001).")
    ).to_be_visible()
    expect(page.get_by_role("heading", name="Compte 00001 — DUPONT PIERRE")).to_be_visible()
    assert_accessible(page)
    # Gone for good: the space is the agent's again (he holds no account there).
    response = page.goto("/flandre-interieure/espace/")
    assert response.status == 404

    colleague = chromium_browser.new_context(base_url=live_server.url, locale="fr-FR").new_page()
    agent_logs_in(colleague, "admin.flandre@example.org")
    colleague.get_by_role("link", name="Demandes", exact=True).click()
    colleague.get_by_role("link", name="Traiter la demande de DUPONT Pierre").click()
    expect(colleague.get_by_text(COUNTER).first).to_be_visible()
    assert_accessible(colleague)
    colleague.get_by_role("button", name="Accepter", exact=True).click()
    expect(colleague.get_by_text("Demande acceptée")).to_be_visible()
    colleague.context.close()

    resident = chromium_browser.new_context(base_url=live_server.url, locale="fr-FR").new_page()
    resident.goto("/flandre-interieure/connexion/")
    field(resident, "Identifiant (adresse mail)").fill("dupont59@gmail.com")
    field(resident, "Mot de passe").fill(PASSWORD)
    resident.get_by_role("button", name="Connexion").click()
    expect(resident.get_by_text("PIERRICK DUPONT - dupont59@gmail.com")).to_be_visible()
    expect(resident.get_by_text("Vous agissez")).to_have_count(0)
    resident.get_by_role("link", name="Suivi de mes demandes").first.click()
    row = resident.get_by_role("row").nth(1)
    expect(row).to_contain_text(COUNTER)
    expect(row.get_by_role("cell").nth(2)).to_have_text("ACCEPTÉ")
    assert_accessible(resident)
    row.get_by_role("link").click()
    expect(resident.get_by_text(COUNTER + ".", exact=True)).to_be_visible()
    assert_accessible(resident)
    resident.context.close()


def test_an_agent_whose_role_changed_meanwhile_finds_the_space_closed(
    page, counter, assert_accessible
):
    agent_logs_in(page, "jeanne.leroy@flandre.example.org")
    page.goto(f"/backoffice/comptes/{counter.pk}/")
    page.get_by_role("button", name="Ouvrir l'espace de l'usager").click()
    expect(page.get_by_role("region", name="Agir pour le compte d'un usager")).to_be_visible()
    Agent.objects.filter(user__email="jeanne.leroy@flandre.example.org").update(
        role=AgentRole.CONSULTATION
    )
    page.get_by_role("link", name="Mes informations").last.click()
    expect(page.get_by_role("heading", name="Accès à l'espace de l'usager terminé")).to_be_visible()
    expect(page.get_by_text("DUPONT")).to_have_count(0)
    assert_accessible(page)
    page.get_by_role("button", name="Quitter l'espace de l'usager").click()
    expect(page.get_by_role("heading", name="Compte 00001 — DUPONT PIERRE")).to_be_visible()
    expect(page.get_by_role("button", name="Ouvrir l'espace de l'usager")).to_have_count(0)
