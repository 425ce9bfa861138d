"""Every request type of flows 10, 12 and 13 beyond seed 004's two, in Chromium, end to end:
the resident (or the newcomer) asks, the agents decide in the back office, the resident
reads the status; axe on every page."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from levee.agents.models import Agent
from levee.collection.models import Flux, Lift
from levee.collection.tests.conftest import make_bin
from testkit import (
    PASSWORD,
    ccfi_world,
    field,
    make_account,
    make_user,
    pilat_world,
    png_bytes,
)

pytestmark = pytest.mark.django_db(transaction=True)

LIFTED_AT = datetime.datetime(2024, 3, 5, 6, 12)


@pytest.fixture
def world(settings, live_server, communes, tmp_path):
    settings.SITE_URL = live_server.url
    ccfi, account = ccfi_world()
    bin = make_bin(account, chip="E0040001", volume=140)
    make_bin(account, chip="E0040002", flux=Flux.RECYCLABLES, volume=240)
    Lift.objects.create(
        authority=ccfi,
        bin=bin,
        lifted_at=timezone.make_aware(LIFTED_AT),
        net_weight_grams=12500,
    )
    make_user("dupont59@gmail.com", accounts=[account])
    Agent.objects.create(authority=ccfi, user=make_user("agent.flandre@example.org"))
    pilat, pelussin = pilat_world()
    make_account(
        pilat,
        code="10042",
        portal_key="VZKRTQPM",
        commune=pelussin,
        postal_code="42410",
        street="rue du Pilat",
        number="12",
    )
    Agent.objects.create(authority=pilat, user=make_user("agent.pilat@example.org"))
    proof = tmp_path / "justificatif.png"
    proof.write_bytes(png_bytes())
    return str(proof)


def log_in(page, email: str):
    page.goto("/flandre-interieure/connexion/")
    field(page, "Identifiant (adresse mail)").fill(email)
    field(page, "Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()


def open_service(page, title: str, assert_accessible):
    page.get_by_role("link", name="Mes services").first.click()
    page.get_by_role("link", name=title).click()
    expect(page.get_by_role("heading", name=title)).to_be_visible()
    assert_accessible(page)


def valider(page, label: str, assert_accessible):
    page.get_by_role("button", name="Valider").click()
    expect(page.get_by_text(f"Votre demande « {label} » est enregistrée")).to_be_visible()
    assert_accessible(page)


def resident_asks(page, proof: str, assert_accessible):
    log_in(page, "dupont59@gmail.com")

    open_service(page, "Je signale mon déménagement", assert_accessible)
    field(page, "Date du déménagement").fill("2024-03-15")
    field(page, "Code Postal").fill("75011")
    field(page, "Ville").fill("Paris")
    field(page, "N°").fill("12")
    field(page, "Rue").fill("rue Oberkampf")
    field(page, "Justificatif de déménagement").set_input_files(proof)
    valider(page, "Déménagement", assert_accessible)

    # The move waiting already ends the subscription: no termination is offered meanwhile.
    open_service(page, "Je résilie mon abonnement", assert_accessible)
    expect(
        page.get_by_text("Vous avez déjà une demande « Déménagement » du", exact=False)
    ).to_be_visible()
    expect(field(page, "Date de résiliation")).to_have_count(0)

    open_service(page, "Demande d'intervention sur mon bac", assert_accessible)
    field(page, "Bac concerné").select_option(label="Ordures ménagères 140 L — puce E0040001")
    field(page, "Intervention demandée").select_option(label="Changement de volume")
    field(page, "Nouveau volume").select_option(label="240 litres")
    field(page, "Description").fill("Nous sommes cinq désormais.")
    field(page, "Photo (facultative)").set_input_files(proof)
    valider(page, "Intervention sur mon bac", assert_accessible)

    page.get_by_role("link", name="Mes bacs/levées").first.click()
    field(page, "Année").select_option("2024")
    page.get_by_role("button", name="Afficher").click()
    page.get_by_role("link", name="Contester la levée du 05/03/2024 à 06:12").click()
    expect(page.get_by_role("heading", name="Contester une levée")).to_be_visible()
    expect(page.get_by_text("Levée contestée : 05/03/2024 à 06:12")).to_be_visible()
    assert_accessible(page)
    field(page, "Motif de la contestation").select_option(
        label="Mon bac n'était pas sorti ce jour-là"
    )
    field(page, "Message").fill("J'étais en vacances, le bac au garage.")
    valider(page, "Contestation d'une levée", assert_accessible)

    open_service(page, "Nous contacter", assert_accessible)
    field(page, "Objet").fill("Horaires de la déchèterie")
    field(page, "Message").fill("Est-elle ouverte le dimanche ?")
    field(page, "Pièces jointes (facultatives)").set_input_files(proof)
    valider(page, "Message", assert_accessible)

    page.get_by_role("link", name="Mon profil").first.click()
    page.get_by_role("link", name="Associer un autre compte").click()
    field(page, "Commune").press_sequentially("42410", delay=20)
    page.get_by_role("option", name="42410 Pélussin").click()
    page.get_by_role("button", name="Valider la commune").click()
    page.get_by_role("link", name="Vous ne connaissez pas votre clé d'activation ?").click()
    expect(
        page.get_by_role("heading", name="Vous ne connaissez pas votre clé d'activation ?")
    ).to_be_visible()
    assert_accessible(page)
    field(page, "Nom / Raison sociale").fill("DUPONT")
    field(page, "Prénom").fill("Pierre")
    field(page, "N°").fill("12")
    field(page, "Rue").fill("rue du Pilat")
    field(page, "Pièce d'identité").set_input_files(proof)
    page.get_by_role("button", name="Envoyer ma demande").click()
    expect(page.get_by_text("Votre demande de clé d'activation est transmise")).to_be_visible()
    expect(page.get_by_role("heading", name="Suivi de mes demandes")).to_be_visible()
    assert_accessible(page)
    expect(page.get_by_role("row").filter(has_text="EN COURS")).to_have_count(5)


def newcomer_asks(newcomer, proof: str, mailbox, assert_accessible) -> str:
    """« J'emménage » up to its confirmed email; returns the page of the request."""
    newcomer.goto("/flandre-interieure/")
    newcomer.get_by_role("link", name="J'emménage").click()
    expect(newcomer.get_by_role("heading", name="J'emménage")).to_be_visible()
    assert_accessible(newcomer)
    # The one commune picker: typed, then picked in its live list (issue 12, item 6).
    commune = field(newcomer, "Commune")
    commune.press_sequentially("hazeb", delay=20)
    offered = newcomer.get_by_role("listbox", name="Communes proposées").get_by_role("option")
    expect(offered).to_have_text(["59190 Hazebrouck"])  # the authority's communes only
    assert_accessible(newcomer)
    offered.first.click()
    expect(commune).to_have_value("59190 Hazebrouck")
    field(newcomer, "N°").fill("3")
    field(newcomer, "Rue").fill("rue de la Gare")
    field(newcomer, "Date d'emménagement").fill(
        (timezone.localdate() + datetime.timedelta(days=10)).isoformat()
    )
    field(newcomer, "Civilité").select_option(label="Mme")
    field(newcomer, "Nom").fill("Durand")
    field(newcomer, "Prénom").fill("Jeanne")
    field(newcomer, "Nombre de personnes du foyer").fill("3")
    field(newcomer, "Email").fill("jeanne.durand@example.org")
    field(newcomer, "Téléphone").fill("06 11 22 33 44")
    field(newcomer, "Justificatif de domicile").set_input_files(proof)
    field(newcomer, "Je ne suis pas un robot").click()
    expect(newcomer.get_by_text("Vérifié : vous n'êtes pas un robot")).to_be_visible()
    assert_accessible(newcomer)
    newcomer.get_by_role("button", name="Envoyer ma demande").click()
    expect(newcomer.get_by_role("heading", name="Confirmez votre demande")).to_be_visible()
    assert_accessible(newcomer)
    newcomer.goto(mailbox.last_link("jeanne.durand@example.org", "/j-emmenage/confirmer/"))
    expect(newcomer.get_by_text("Votre adresse email est confirmée")).to_be_visible()
    expect(newcomer.get_by_text("Statut : EN COURS")).to_be_visible()
    assert_accessible(newcomer)
    return newcomer.url


def agent_page(chromium_browser, live_server, email: str):
    agent = chromium_browser.new_context(base_url=live_server.url, locale="fr-FR").new_page()
    agent.context.set_default_timeout(15_000)
    agent.goto("/backoffice/")
    field(agent, "Adresse email").fill(email)
    field(agent, "Mot de passe").fill(PASSWORD)
    agent.get_by_role("button", name="Connexion").click()
    agent.get_by_role("link", name="Demandes", exact=True).click()
    expect(agent.get_by_role("heading", name="Demandes")).to_be_visible()
    return agent


def open_request(agent, type_title: str, assert_accessible):
    agent.goto("/backoffice/demandes/")
    field(agent, "Type").select_option(label=type_title)
    agent.get_by_role("button", name="Filtrer").click()
    assert_accessible(agent)
    agent.get_by_role("link", name=re.compile("^Traiter")).click()
    expect(agent.get_by_role("heading", name="Décision")).to_be_visible()
    assert_accessible(agent)


def decided(agent, words: str, assert_accessible):
    expect(agent.get_by_text(words).first).to_be_visible()
    assert_accessible(agent)


def agents_decide(chromium_browser, live_server, assert_accessible):
    agent = agent_page(chromium_browser, live_server, "agent.flandre@example.org")
    assert_accessible(agent)

    open_request(agent, "Je signale mon déménagement", assert_accessible)
    expect(agent.get_by_text("sera terminé le 14/03/2024")).to_be_visible()
    agent.get_by_role("button", name="Accepter", exact=True).click()
    decided(agent, "Demande acceptée", assert_accessible)

    open_request(agent, "Demande d'intervention sur mon bac", assert_accessible)
    field(agent, "Message à l'usager (facultatif)").fill("Livraison du bac de 240 L le 12 mars.")
    agent.get_by_role("button", name="Accepter", exact=True).click()
    decided(agent, "Demande acceptée", assert_accessible)

    open_request(agent, "Contester une levée", assert_accessible)
    field(agent, "Annuler cette levée : elle est supprimée et ne compte plus").check()
    field(agent, "Message à l'usager (facultatif)").fill("Levée annulée, toutes nos excuses.")
    agent.get_by_role("button", name="Accepter", exact=True).click()
    decided(agent, "Levée du 05/03/2024 à 06:12", assert_accessible)

    open_request(agent, "Nous contacter", assert_accessible)
    field(agent, "Votre réponse (envoyée à l'usager)").fill("Oui, de 9 h à 12 h.")
    agent.get_by_role("button", name="Accepter", exact=True).click()
    decided(agent, "Demande traitée", assert_accessible)

    open_request(agent, "J'emménage", assert_accessible)
    expect(agent.get_by_text("Un compte usager sera créé pour DURAND Jeanne")).to_be_visible()
    agent.get_by_role("button", name="Accepter", exact=True).click()
    decided(agent, "Compte usager 00002 et abonnement 00002 créés.", assert_accessible)
    agent.context.close()

    agent = agent_page(chromium_browser, live_server, "agent.pilat@example.org")
    open_request(agent, "Vous ne connaissez pas votre clé d'activation ?", assert_accessible)
    expect(agent.get_by_role("heading", name="Comptes qui peuvent correspondre")).to_be_visible()
    field(agent, "Code usager du compte trouvé").fill("10042")
    agent.get_by_role("button", name="Accepter", exact=True).click()
    decided(agent, "Clé d'activation du compte 10042 envoyée par email.", assert_accessible)
    expect(agent.get_by_text("VZKRTQPM")).to_have_count(0)
    agent.context.close()


def test_every_request_type_from_the_ask_to_the_decision(
    page, chromium_browser, live_server, world, mailbox, assert_accessible
):
    resident_asks(page, world, assert_accessible)
    newcomer = chromium_browser.new_context(base_url=live_server.url, locale="fr-FR").new_page()
    newcomer.context.set_default_timeout(15_000)
    newcomer_asks(newcomer, world, mailbox, assert_accessible)

    agents_decide(chromium_browser, live_server, assert_accessible)

    page.reload()
    for label, status in (
        ("Déménagement", "ACCEPTÉ"),
        ("Intervention sur mon bac", "ACCEPTÉ"),
        ("Contestation d'une levée", "ACCEPTÉ"),
        ("Message", "TRAITÉ"),
        ("Demande de clé d'activation", "ACCEPTÉ"),
    ):
        row = page.get_by_role("row").filter(has_text=label)
        expect(row.get_by_role("cell").nth(2)).to_have_text(status)
    expect(page.get_by_text("Terminé le : 14 mars 2024")).to_be_visible()  # eve of the move
    expect(page.get_by_text("Adresse facturation : 12 RUE OBERKAMPF 75011 PARIS")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name=re.compile("^Message du")).click()
    expect(page.get_by_text("Statut : TRAITÉ")).to_be_visible()
    expect(page.get_by_text("Oui, de 9 h à 12 h.")).to_be_visible()
    assert_accessible(page)
    # The key came by email, and step 2 of the association takes it.
    key_mail = next(m for m in reversed(mailbox.messages) if "Clé d'activation du compte" in m.body)
    assert "Clé d'activation du compte 10042 : VZKRTQPM" in key_mail.body

    newcomer.goto(mailbox.last_link("jeanne.durand@example.org", "/j-emmenage/ma-demande/"))
    expect(newcomer.get_by_text("Statut : ACCEPTÉ")).to_be_visible()
    assert_accessible(newcomer)
    welcome = next(m for m in reversed(mailbox.messages) if "Votre identifiant portail" in m.body)
    key = re.search(r"Votre identifiant portail : (\w+)", welcome.body).group(1)
    newcomer.goto(mailbox.last_link("jeanne.durand@example.org", "/creer-mon-espace/"))
    field(newcomer, "Email").fill("jeanne.durand@example.org")
    field(newcomer, "Mot de passe").fill(PASSWORD)
    field(newcomer, "Confirmation mot de passe").fill(PASSWORD)
    field(newcomer, "Nom / Raison sociale").fill("DURAND")
    field(newcomer, "Référence usager").fill(key)
    newcomer.get_by_role("button", name="Envoyer").click()
    expect(newcomer.get_by_role("heading", name="Vérifiez votre messagerie")).to_be_visible()
    assert_accessible(newcomer)
    newcomer.context.close()
