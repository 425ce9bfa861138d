"""In Chromium: the resident declares a move for a later date, the agent accepts it, and
the space still shows the current dwelling while announcing the coming one."""

import datetime
import re

import pytest
from django.utils import formats, timezone, translation
from playwright.sync_api import expect

from levee.agents.models import Agent
from testkit import PASSWORD, ccfi_world, field, make_user, png_bytes

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world(settings, live_server, communes, tmp_path):
    settings.SITE_URL = live_server.url
    ccfi, account = ccfi_world()
    make_user("dupont59@gmail.com", accounts=[account])
    Agent.objects.create(authority=ccfi, user=make_user("agent.flandre@example.org"))
    proof = tmp_path / "bail.png"
    proof.write_bytes(png_bytes())
    return str(proof)


def test_a_move_accepted_for_a_later_date_is_announced_until_that_date(
    page, chromium_browser, live_server, world, assert_accessible
):
    moves_on = timezone.localdate() + datetime.timedelta(days=10)
    with translation.override("fr"):
        moves_on_fr = formats.date_format(moves_on, "j F Y")

    page.goto("/flandre-interieure/connexion/")
    field(page, "Identifiant (adresse mail)").fill("dupont59@gmail.com")
    field(page, "Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    page.get_by_role("link", name="Mes services").first.click()
    page.get_by_role("link", name="Je signale mon déménagement").click()
    field(page, "Date du déménagement").fill(moves_on.isoformat())
    field(page, "Code Postal").fill("59190")
    field(page, "Ville").fill("Hazebrouck")
    field(page, "N°").fill("3")
    field(page, "Rue").fill("rue de la Gare")
    field(page, "Justificatif de déménagement").set_input_files(world)
    page.get_by_role("button", name="Valider").click()
    expect(page.get_by_text("Votre demande « Déménagement » est enregistrée")).to_be_visible()

    # While the move waits, no termination is offered.
    page.get_by_role("link", name="Mes services").first.click()
    page.get_by_role("link", name="Je résilie mon abonnement").click()
    expect(
        page.get_by_text("Vous avez déjà une demande « Déménagement » du", exact=False)
    ).to_be_visible()
    assert_accessible(page)

    agent = chromium_browser.new_context(base_url=live_server.url, locale="fr-FR").new_page()
    agent.context.set_default_timeout(15_000)
    agent.goto("/backoffice/")
    field(agent, "Adresse email").fill("agent.flandre@example.org")
    field(agent, "Mot de passe").fill(PASSWORD)
    agent.get_by_role("button", name="Connexion").click()
    agent.goto("/backoffice/demandes/")
    agent.get_by_role("link", name=re.compile("^Traiter")).click()
    expect(
        agent.get_by_text("un nouvel abonnement Bac y sera ouvert à partir du", exact=False)
    ).to_be_visible()
    agent.get_by_role("button", name="Accepter", exact=True).click()
    expect(agent.get_by_text("Demande acceptée").first).to_be_visible()
    agent.context.close()

    page.get_by_role("link", name="Accueil").first.click()
    expect(
        page.get_by_text("Adresse habitation : 29 ROUTE DE MÉTEREN 59270 BAILLEUL")
    ).to_be_visible()
    expect(
        page.get_by_text(f"À partir du {moves_on_fr} : 3 RUE DE LA GARE 59190 HAZEBROUCK")
    ).to_be_visible()
    expect(
        page.get_by_text(f"Votre nouvel abonnement commence le {moves_on_fr}", exact=False)
    ).to_be_visible()
    assert_accessible(page)
