"""FranceConnect and ProConnect in Chromium, through the demo's imitation of both providers
(same flows, same checks of their signed tokens): every page of the flows passes axe."""

import pytest
from playwright.sync_api import expect

from levee.agents.models import Agent
from levee.agents.roles import AgentRole
from levee.identity.models import IdentityLink, ProConnectPolicy
from testkit import PASSWORD, ccfi_world, field, make_user

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def simulation(settings):
    settings.IDENTITY_SIMULATION = True
    settings.EMBEDDED = True
    for prefix in ("FRANCECONNECT", "PROCONNECT"):
        setattr(settings, f"{prefix}_CLIENT_ID", "")
        setattr(settings, f"{prefix}_ISSUER", "")


def assert_in_landmarks(page):
    """axe's « region » rule (a best practice, outside the WCAG tags assert_accessible runs):
    every content of the page sits in a landmark. Run after assert_accessible (axe loaded)."""
    results = page.evaluate("axe.run({runOnly: {type: 'rule', values: ['region']}})")
    assert results["violations"] == [], [
        node["html"] for v in results["violations"] for node in v["nodes"]
    ]


def choose_identity(page, assert_accessible, label: str):
    expect(page.get_by_role("heading", name="Choisissez une identité de test")).to_be_visible()
    expect(page.get_by_text("Simulation : ce n'est pas le vrai")).to_be_visible()
    assert_accessible(page)
    assert_in_landmarks(page)
    page.get_by_label(label).check()
    page.get_by_role("button", name="Continuer").click()


def test_a_resident_links_franceconnect_then_logs_in_and_out_with_it(
    page, live_server, communes, assert_accessible, simulation
):
    _, account = ccfi_world()
    marie = make_user("marie.martin@example.org", accounts=[account])

    page.goto("/flandre-interieure/connexion/")
    expect(page.get_by_role("link", name="Qu'est-ce que FranceConnect ?")).to_have_attribute(
        "href", "https://franceconnect.gouv.fr/"
    )
    assert_accessible(page)
    page.get_by_role("button", name="S'identifier avec FranceConnect").click()
    choose_identity(page, assert_accessible, "Marie MARTIN")

    expect(page.get_by_role("heading", name="Lier mon identité FranceConnect")).to_be_visible()
    assert_accessible(page)
    field(page, "Identifiant (adresse mail)").fill("marie.martin@example.org")
    field(page, "Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Lier et me connecter").click()
    expect(
        page.get_by_text("Votre identité FranceConnect est maintenant liée à votre espace.")
    ).to_be_visible()
    assert IdentityLink.objects.get().user == marie

    page.get_by_role("link", name="Mon profil").first.click()
    expect(page.get_by_text("Votre espace est lié à votre identité FranceConnect")).to_be_visible()
    assert_accessible(page)

    # Logging out of Levée ends the provider's session too, then comes back.
    page.get_by_role("button", name="Déconnexion").first.click()
    expect(
        page.get_by_role("heading", name="Vous êtes déconnecté de FranceConnect")
    ).to_be_visible()
    expect(page.get_by_text("la session est terminée")).to_be_visible()
    assert_accessible(page)
    assert_in_landmarks(page)
    page.get_by_role("link", name="Revenir sur Levée").click()
    expect(page.get_by_text("Vous êtes déconnecté.")).to_be_visible()

    # Next time FranceConnect logs her straight in.
    page.goto("/flandre-interieure/connexion/")
    page.get_by_role("button", name="S'identifier avec FranceConnect").click()
    choose_identity(page, assert_accessible, "Marie MARTIN")
    expect(page.get_by_role("link", name="Mon profil").first).to_be_visible()

    # « Mon profil » removes the link.
    page.get_by_role("link", name="Mon profil").first.click()
    page.get_by_role("button", name="Retirer le lien avec FranceConnect").click()
    expect(page.get_by_text("Le lien avec FranceConnect est retiré")).to_be_visible()
    expect(page.get_by_role("button", name="S'identifier avec FranceConnect")).to_be_visible()
    assert_accessible(page)
    assert not IdentityLink.objects.exists()


def test_a_wrong_state_shows_the_refusal_page(
    page, live_server, communes, assert_accessible, simulation
):
    ccfi_world()
    page.goto("/franceconnect/retour/?code=x&state=y")
    expect(
        page.get_by_role("heading", name="Connexion avec FranceConnect interrompue")
    ).to_be_visible()
    assert_accessible(page)


def test_an_agent_logs_in_with_proconnect_and_his_administrator_requires_it(
    page, live_server, communes, assert_accessible, simulation
):
    authority, _ = ccfi_world()
    claire = make_user("agent.flandre@example.org")
    Agent.objects.create(authority=authority, user=claire, role=AgentRole.ADMINISTRATEUR)

    page.goto("/backoffice/connexion/")
    expect(page.get_by_role("link", name="Qu'est-ce que ProConnect ?")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="S'identifier avec ProConnect").click()
    choose_identity(page, assert_accessible, "Claire VERHAEGHE")
    expect(page.get_by_role("link", name="Tableau de bord")).to_be_visible()

    page.get_by_role("link", name="Agents").click()
    page.get_by_label("Exiger ProConnect pour les agents de la collectivité").check()
    page.get_by_role("button", name="Enregistrer").last.click()
    expect(
        page.get_by_text("Les agents de la collectivité se connectent désormais avec ProConnect.")
    ).to_be_visible()
    assert_accessible(page)
    assert ProConnectPolicy.objects.get().required

    # An unknown public agent gets in nowhere.
    page.get_by_role("button", name="Déconnexion").first.click()
    page.get_by_role("link", name="Revenir sur Levée").click()
    page.get_by_role("button", name="S'identifier avec ProConnect").click()
    choose_identity(page, assert_accessible, "Jean INCONNU")
    expect(page.get_by_role("heading", name="Aucun agent avec cette identité")).to_be_visible()
    assert_accessible(page)


def test_a_space_created_after_franceconnect_must_be_the_identitys_name(
    page, live_server, communes, assert_accessible, simulation
):
    ccfi_world()  # account 00001, DUPONT Pierre, without a login
    page.goto("/flandre-interieure/creer-mon-espace/")
    page.get_by_role("button", name="S'identifier avec FranceConnect").click()
    choose_identity(page, assert_accessible, "Marie MARTIN")
    page.get_by_role("link", name="Je crée mon espace").click()
    expect(page.get_by_text("identifié par FranceConnect comme")).to_be_visible()
    assert_accessible(page)
    field(page, "Email").fill("dupont59@gmail.com")
    field(page, "Mot de passe").fill("Mot2passe@")
    field(page, "Confirmation mot de passe").fill("Mot2passe@")
    field(page, "Nom / Raison sociale").fill("Dupont")  # the account's, not the identity's
    field(page, "Référence usager").fill("PSEMCSMJ")
    page.get_by_role("button", name="Envoyer").click()
    expect(page.get_by_text("n'est pas celui de votre identité FranceConnect")).to_be_visible()
    assert_accessible(page)


def test_an_agent_logged_in_with_his_password_is_asked_for_proconnect(
    page, live_server, communes, assert_accessible, simulation
):
    authority, _ = ccfi_world()
    claire = make_user("agent.flandre@example.org")
    Agent.objects.create(authority=authority, user=claire, role=AgentRole.ADMINISTRATEUR)
    page.goto("/flandre-interieure/connexion/")  # the residents' login lets agents in too
    field(page, "Identifiant (adresse mail)").fill("agent.flandre@example.org")
    field(page, "Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    expect(page.get_by_role("link", name="Tableau de bord")).to_be_visible()
    ProConnectPolicy.objects.create(authority=authority, required=True)
    page.goto("/backoffice/")
    expect(page.get_by_role("heading", name="Connexion avec ProConnect exigée")).to_be_visible()
    expect(page.get_by_role("button", name="Déconnexion")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="S'identifier avec ProConnect").click()
    choose_identity(page, assert_accessible, "Claire VERHAEGHE")
    expect(page.get_by_role("link", name="Tableau de bord")).to_be_visible()


def text_transforms(page, button_name: str) -> set[str]:
    """The computed text-transform of the button and of each of its two lines."""
    return set(
        page.get_by_role("button", name=button_name).evaluate(
            "b => [b, ...b.querySelectorAll('span')].map(e => getComputedStyle(e).textTransform)"
        )
    )


def test_the_states_buttons_keep_their_own_case(
    page, live_server, communes, assert_accessible, simulation
):
    ccfi_world()
    page.goto("/flandre-interieure/connexion/")
    assert text_transforms(page, "S'identifier avec FranceConnect") == {"none"}
    assert_accessible(page)
    page.goto("/backoffice/connexion/")
    assert text_transforms(page, "S'identifier avec ProConnect") == {"none"}
    assert_accessible(page)


def test_the_proconnect_test_identities_fit_a_320_px_screen(
    page, live_server, communes, assert_accessible, simulation
):
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto("/backoffice/connexion/")
    page.get_by_role("button", name="S'identifier avec ProConnect").click()
    expect(page.get_by_label("Jean INCONNU")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    choose_identity(page, assert_accessible, "Jean INCONNU")


def test_a_franceconnect_failure_leads_back_to_the_authoritys_login(
    page, live_server, communes, assert_accessible, simulation
):
    ccfi_world()
    page.goto("/flandre-interieure/connexion/")
    page.get_by_role("button", name="S'identifier avec FranceConnect").click()
    expect(page.get_by_role("heading", name="Choisissez une identité de test")).to_be_visible()
    page.goto("/franceconnect/retour/?code=x&state=not-the-state")  # not this flow's state
    expect(
        page.get_by_role("heading", name="Connexion avec FranceConnect interrompue")
    ).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Revenir à la connexion").click()
    expect(page).to_have_url(f"{live_server.url}/flandre-interieure/connexion/")


def test_an_administrator_in_a_password_session_cannot_require_proconnect(
    page, live_server, communes, assert_accessible, simulation
):
    authority, _ = ccfi_world()
    claire = make_user("agent.flandre@example.org")
    Agent.objects.create(authority=authority, user=claire, role=AgentRole.ADMINISTRATEUR)
    page.goto("/backoffice/connexion/")
    field(page, "Adresse email").fill("agent.flandre@example.org")
    field(page, "Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Connexion", exact=True).click()
    page.get_by_role("link", name="Agents").click()
    expect(page.get_by_text("Connectez-vous avec ProConnect pour l'exiger")).to_be_visible()
    page.get_by_label("Exiger ProConnect pour les agents de la collectivité").check()
    page.get_by_role("button", name="Enregistrer").last.click()
    expect(page.get_by_role("heading", name="Agents de la collectivité")).to_be_visible()
    expect(page.locator(".message-error")).to_contain_text(
        "Connectez-vous avec ProConnect pour l'exiger"
    )
    expect(page.locator(".message-success")).to_have_count(0)
    expect(page.get_by_role("button", name="Déconnexion")).to_be_visible()
    assert_accessible(page)
    assert not ProConnectPolicy.objects.filter(required=True).exists()


def test_a_franceconnect_session_meets_the_agents_login_at_the_back_office(
    page, live_server, communes, assert_accessible, simulation
):
    authority, account = ccfi_world()
    marie = make_user("marie.martin@example.org", accounts=[account])
    Agent.objects.create(authority=authority, user=marie, role=AgentRole.ADMINISTRATEUR)
    IdentityLink.objects.create(
        user=marie, provider="franceconnect", subject="simulation-fc-0001-marie-martin"
    )
    page.goto("/flandre-interieure/connexion/")
    page.get_by_role("button", name="S'identifier avec FranceConnect").click()
    choose_identity(page, assert_accessible, "Marie MARTIN")
    expect(page.get_by_role("link", name="Mon profil").first).to_be_visible()
    page.goto("/backoffice/")
    expect(page.get_by_role("heading", name="Connexion des agents")).to_be_visible()
    expect(
        page.get_by_text("Une session ouverte avec FranceConnect n'ouvre pas le back office")
    ).to_be_visible()
    expect(page.get_by_role("link", name="Tableau de bord")).to_have_count(0)
    assert_accessible(page)
