"""Seed 004's two « MODIFIER » tutorials in Chromium, word by word: the resident asks, the
request shows « EN COURS », an agent accepts it in the back office, it shows « ACCEPTÉ »
and the header changes."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from levee.agents.models import Agent
from testkit import PASSWORD, ccfi_world, field, make_user

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def dupont(settings, live_server):
    settings.SITE_URL = live_server.url
    _, account = ccfi_world()
    account.phone = "0601020304"
    account.save(update_fields=["phone"])
    make_user("dupont59@gmail.com", accounts=[account])
    Agent.objects.create(authority=account.authority, user=make_user("agent.flandre@example.org"))
    return account


def log_in(page, email: str):
    page.goto("/flandre-interieure/")
    page.get_by_role("link", name="J'accède à mon espace").click()
    field(page, "Identifiant (adresse mail)").fill(email)
    field(page, "Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()


def follow_in_suivi(page, status: str, assert_accessible):
    page.get_by_role("link", name="Suivi de mes demandes").first.click()
    expect(page.get_by_role("heading", name="Suivi de mes demandes")).to_be_visible()
    expect(page.get_by_text("Je consulte ici l'état de mes demandes.")).to_be_visible()
    row = page.get_by_role("row").nth(1)
    expect(row.get_by_role("cell").nth(0)).to_have_text(timezone.localdate().strftime("%d/%m/%Y"))
    # The link also says, to screen readers only, the request's date and time.
    expect(row.get_by_role("cell").nth(1)).to_contain_text("Modification de mes informations")
    expect(row.get_by_role("cell").nth(2)).to_have_text(status)
    assert_accessible(page)


def agent_accepts(chromium_browser, live_server, assert_accessible):
    agent = chromium_browser.new_context(base_url=live_server.url, locale="fr-FR").new_page()
    agent.goto("/backoffice/")
    field(agent, "Adresse email").fill("agent.flandre@example.org")
    field(agent, "Mot de passe").fill(PASSWORD)
    agent.get_by_role("button", name="Connexion").click()
    agent.get_by_role("link", name="Demandes", exact=True).click()
    expect(agent.get_by_role("heading", name="Demandes")).to_be_visible()
    assert_accessible(agent)
    agent.get_by_role("link", name="Traiter la demande de DUPONT Pierre").click()
    expect(
        agent.get_by_role("heading", name="Valeurs actuelles et valeurs demandées")
    ).to_be_visible()
    assert_accessible(agent)
    agent.get_by_role("button", name="Accepter", exact=True).click()
    expect(agent.get_by_text("Demande acceptée")).to_be_visible()
    assert_accessible(agent)
    agent.context.close()


def test_seed_004_modifier_mes_informations(
    page, chromium_browser, live_server, dupont, assert_accessible
):
    log_in(page, "dupont59@gmail.com")
    expect(
        page.get_by_text(
            "PIERRE DUPONT - dupont59@gmail.com | Référence abonné : 00001 | Type de forfait : Bac | "
            "Souscrit le : 30 juin 2022 | Terminé le :"
        )
    ).to_be_visible()
    page.get_by_role("link", name="Mes services").last.click()
    expect(page.get_by_role("heading", name="Mes services")).to_be_visible()
    expect(
        page.get_by_text("J'effectue ici mes demandes relatives à la gestion des déchets.")
    ).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Modifier mes informations personnelles").click()
    expect(page.get_by_role("heading", name="Modifier mes informations")).to_be_visible()
    expect(page.get_by_text("Je modifie ici mes informations personnelles.")).to_be_visible()
    expect(field(page, "Nom")).to_have_value("DUPONT")
    expect(field(page, "Code Postal")).to_have_value("59270")
    expect(field(page, "Rue")).to_have_value("route de Méteren")
    assert_accessible(page)
    field(page, "Prénom").fill("PIERRICK")
    field(page, "N°").fill("30")
    page.get_by_role("button", name="Valider").click()
    expect(page.get_by_text("Suivez son état dans « Suivi de mes demandes »")).to_be_visible()
    follow_in_suivi(page, "EN COURS", assert_accessible)

    agent_accepts(chromium_browser, live_server, assert_accessible)

    page.reload()
    expect(page.get_by_role("row").nth(1).get_by_role("cell").nth(2)).to_have_text("ACCEPTÉ")
    expect(
        page.get_by_text(
            "PIERRICK DUPONT - dupont59@gmail.com | Référence abonné : 00001 | Type de forfait : "
            "Bac | Souscrit le : 30 juin 2022 | Terminé le :"
        )
    ).to_be_visible()
    expect(
        page.get_by_text("Adresse habitation : 30 ROUTE DE MÉTEREN 59270 BAILLEUL")
    ).to_be_visible()
    expect(
        page.get_by_text("Adresse facturation : 30 ROUTE DE MÉTEREN 59270 BAILLEUL")
    ).to_be_visible()
    assert_accessible(page)


def test_seed_004_modifier_mes_identifiants(
    page, chromium_browser, live_server, dupont, mailbox, assert_accessible
):
    log_in(page, "dupont59@gmail.com")
    page.get_by_role("link", name="Mes informations").last.click()
    expect(page.get_by_text("Je consulte/modifie mes informations personnelles.")).to_be_visible()
    expect(page.get_by_text("Téléphone fixe : 0601020304")).to_be_visible()
    page.get_by_role("link", name="Modifier mes coordonnées").click()
    expect(page.get_by_role("heading", name="Modifier mes coordonnées")).to_be_visible()
    expect(
        page.get_by_text(
            "Si mes coordonnées sont différentes (email, téléphone), je les modifie ici."
        )
    ).to_be_visible()
    assert_accessible(page)
    field(page, "Email").fill("dupontDU59@gmail.com")
    field(page, "Numéro 1").fill("0600000007")
    field(page, "Type du numéro 1").select_option(label="Portable")
    expect(field(page, "Type du numéro 2")).to_have_value("")
    expect(field(page, "Type du numéro 3")).to_have_value("")
    page.get_by_role("button", name="Valider").click()
    follow_in_suivi(page, "EN COURS", assert_accessible)

    agent_accepts(chromium_browser, live_server, assert_accessible)

    page.reload()
    expect(page.get_by_role("row").nth(1).get_by_role("cell").nth(2)).to_have_text("ACCEPTÉ")
    # The login changes only once the link sent to the new address is followed.
    expect(page.get_by_text("PIERRE DUPONT - dupont59@gmail.com |")).to_be_visible()
    page.goto(mailbox.last_link("dupontDU59@gmail.com", "/confirmer-mon-email/"))
    expect(page.get_by_text("Votre adresse email est confirmée")).to_be_visible()
    assert_accessible(page)
    page.context.clear_cookies()
    log_in(page, "dupontDU59@gmail.com")
    expect(
        page.get_by_text(
            "PIERRE DUPONT - dupontDU59@gmail.com | Référence abonné : 00001 | Type de forfait : Bac"
        )
    ).to_be_visible()
    page.get_by_role("link", name="Mes informations").last.click()
    expect(page.get_by_text("Téléphone portable : 0600000007")).to_be_visible()
    expect(page.get_by_text("Email : dupontDU59@gmail.com")).to_be_visible()
