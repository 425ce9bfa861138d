"""Flows 3, 4 and 5 of PRODUCT.md in Chromium, as a new user would, following the links
of the messages sent."""

import pytest
from playwright.sync_api import expect

from testkit import PASSWORD, ccfi_world, field, pilat_world

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def site(settings, live_server):
    settings.SITE_URL = live_server.url
    return live_server


def test_seed_004_creer_mon_espace_word_by_word(page, site, mailbox, assert_accessible):
    ccfi_world()
    page.goto("/flandre-interieure/")
    assert_accessible(page)
    page.get_by_role("link", name="Je crée mon espace").click()
    assert_accessible(page)
    field(page, "Email").fill("dupont59@gmail.com")
    field(page, "Mot de passe").fill(PASSWORD)
    field(page, "Confirmation mot de passe").fill(PASSWORD)
    field(page, "Nom / Raison sociale").fill("DUPONT")
    field(page, "Référence usager").fill("PSEMCSMJ")
    page.get_by_role("button", name="Envoyer").click()
    expect(page.get_by_role("heading", name="Vérifiez votre messagerie")).to_be_visible()
    assert_accessible(page)

    page.goto(mailbox.last_link("dupont59@gmail.com", "/activation/"))
    expect(page.get_by_text("Votre espace est activé")).to_be_visible()
    assert_accessible(page)
    field(page, "Identifiant (adresse mail)").fill("dupont59@gmail.com")
    field(page, "Mot de passe").fill(PASSWORD)
    field(page, "Rester connecté").check()
    page.get_by_role("button", name="Connexion").click()
    expect(
        page.get_by_text(
            "PIERRE DUPONT - dupont59@gmail.com | Référence abonné : 00001 | Type de forfait : Bac | "
            "Souscrit le : 30 juin 2022 | Terminé le :"
        )
    ).to_be_visible()
    expect(
        page.get_by_text("Adresse habitation : 29 ROUTE DE MÉTEREN 59270 BAILLEUL")
    ).to_be_visible()
    expect(
        page.get_by_text("Adresse facturation : 29 ROUTE DE MÉTEREN 59270 BAILLEUL")
    ).to_be_visible()
    assert_accessible(page)
    # « Rester connecté »: the session cookie outlives the browser (30 days).
    session = next(c for c in page.context.cookies() if c["name"] == "sessionid")
    assert session["expires"] > 0


def test_a_wrong_reference_gets_one_generic_message_in_the_browser(page, site, assert_accessible):
    ccfi_world()
    page.goto("/flandre-interieure/creer-mon-espace/")
    field(page, "Email").fill("dupont59@gmail.com")
    field(page, "Mot de passe").fill(PASSWORD)
    field(page, "Confirmation mot de passe").fill(PASSWORD)
    field(page, "Nom / Raison sociale").fill("DURAND")
    field(page, "Référence usager").fill("PSEMCSMJ")
    page.get_by_role("button", name="Envoyer").click()
    expect(
        page.get_by_text("Nous ne trouvons pas de compte avec ce nom et cette référence usager")
    ).to_be_visible()
    expect(field(page, "Email")).to_have_value("dupont59@gmail.com")
    expect(field(page, "Mot de passe")).to_have_value("")
    assert_accessible(page)


def test_flow_5_login_logout_and_forgotten_password(page, site, mailbox, assert_accessible):
    from testkit import make_user

    _, account = ccfi_world()
    make_user("dupont59@gmail.com", accounts=[account])
    page.goto("/flandre-interieure/")
    page.get_by_role("link", name="J'accède à mon espace").click()
    assert_accessible(page)
    page.get_by_role("link", name="Mot de passe oublié").click()
    assert_accessible(page)
    field(page, "Adresse email").fill("dupont59@gmail.com")
    page.get_by_role("button", name="Envoyer").click()
    expect(page.get_by_text("Si un espace existe avec cette adresse")).to_be_visible()

    page.goto(mailbox.last_link("dupont59@gmail.com", "/mot-de-passe-oublie/"))
    assert_accessible(page)
    field(page, "Nouveau mot de passe").fill("Nouveau2passe!")
    field(page, "Confirmation du nouveau mot de passe").fill("Nouveau2passe!")
    page.get_by_role("button", name="Valider").click()
    expect(page.get_by_text("Votre mot de passe est modifié")).to_be_visible()

    field(page, "Identifiant (adresse mail)").fill("dupont59@gmail.com")
    field(page, "Mot de passe").fill("Nouveau2passe!")
    field(page, "Mot de passe").press("Enter")  # the keyboard is enough
    expect(page.get_by_text("Référence abonné : 00001")).to_be_visible()
    # Without « Rester connecté », the session ends with the browser.
    session = next(c for c in page.context.cookies() if c["name"] == "sessionid")
    assert session["expires"] == -1
    page.get_by_role("button", name="Déconnexion").click()
    expect(page.get_by_role("link", name="J'accède à mon espace")).to_be_visible()


def test_seed_000_account_opening_until_the_email_is_confirmed(
    page, site, mailbox, assert_accessible, tmp_path
):
    from levee.accounts.models import AccountOpeningRequest, OpeningStatus
    from testkit import png_bytes

    pilat_world()
    proof = tmp_path / "justificatif.png"
    proof.write_bytes(png_bytes())
    page.goto("/pilat-rhodanien/")
    page.get_by_role("link", name="Ouvrir un compte maintenant").click()
    assert_accessible(page)
    field(page, "Code postal ou nom de votre commune").fill("42410")
    field(page, "Code postal ou nom de votre commune").fill("42410 PÉLUSSIN")
    page.get_by_role("button", name="Valider ma commune").click()
    expect(page.get_by_role("heading", name="Demande d'ouverture de mon compte")).to_be_visible()
    assert_accessible(page)
    field(page, "Nature juridique").select_option(label="Particulier")
    field(page, "Civilité").select_option(label="M")
    field(page, "Nom").fill("Martin")
    field(page, "Prénom").fill("Paul")
    field(page, "Mobile").fill("0612345678")
    field(page, "Nom de voie").fill("rue du Pilat")
    field(page, "Numéro de voie").fill("12")
    field(page, "Suffixe (B, bis, ter…)").select_option(label="bis")
    field(page, "Email").fill("paul.martin@example.org")
    field(page, "Mot de passe").fill(PASSWORD)
    field(page, "Confirmez le mot de passe").fill(PASSWORD)
    field(page, "Justificatif de domicile").set_input_files(str(proof))
    field(page, "J'accepte les conditions générales d'utilisation du service (CGU)").check()
    field(
        page, "Je ne suis pas un robot"
    ).click()  # the widget solves its proof of work, then ticks
    expect(page.get_by_text("Vérifié : vous n'êtes pas un robot")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Valider ma demande").click()
    expect(page.get_by_role("heading", name="Confirmez votre demande")).to_be_visible()

    page.goto(mailbox.last_link("paul.martin@example.org", "/confirmer/"))
    expect(
        page.get_by_role("heading", name="Votre demande d'inscription est confirmée")
    ).to_be_visible()
    assert_accessible(page)
    assert AccountOpeningRequest.objects.get().status == OpeningStatus.PENDING


def test_seed_000_the_agent_validates_then_the_person_logs_in(
    page, chromium_browser, site, mailbox, assert_accessible, tmp_path
):
    from levee.agents.models import Agent
    from testkit import make_user, png_bytes

    pilat, _ = pilat_world()
    Agent.objects.create(authority=pilat, user=make_user("agent.pilat@example.org"))
    proof = tmp_path / "justificatif.png"
    proof.write_bytes(png_bytes())
    page.goto("/pilat-rhodanien/ouvrir-un-compte/")
    field(page, "Code postal ou nom de votre commune").fill("42410 PÉLUSSIN")
    page.get_by_role("button", name="Valider ma commune").click()
    field(page, "Civilité").select_option(label="Mme")
    field(page, "Nom").fill("Durand")
    field(page, "Nom de voie").fill("place de l'Église")
    field(page, "Email").fill("claire.durand@example.org")
    field(page, "Mot de passe").fill(PASSWORD)
    field(page, "Confirmez le mot de passe").fill(PASSWORD)
    field(page, "Justificatif de domicile").set_input_files(str(proof))
    field(page, "J'accepte les conditions générales d'utilisation du service (CGU)").check()
    field(page, "Je ne suis pas un robot").click()
    expect(page.get_by_text("Vérifié : vous n'êtes pas un robot")).to_be_visible()
    page.get_by_role("button", name="Valider ma demande").click()
    page.goto(mailbox.last_link("claire.durand@example.org", "/confirmer/"))
    expect(
        page.get_by_role("heading", name="Votre demande d'inscription est confirmée")
    ).to_be_visible()

    agent = chromium_browser.new_context(base_url=site.url, locale="fr-FR").new_page()
    agent.goto("/backoffice/")
    field(agent, "Adresse email").fill("agent.pilat@example.org")
    field(agent, "Mot de passe").fill(PASSWORD)
    agent.get_by_role("button", name="Connexion").click()
    assert_accessible(agent)
    agent.get_by_role("link", name="Traiter la demande de Durand").click()
    expect(agent.get_by_role("img", name="Justificatif de domicile de Durand")).to_be_visible()
    # The proof really loads inline (the access-checked view serves the image).
    # (waited for through Playwright's own script: a string given to wait_for_function is
    # evaluated by eval, which the page's Content-Security-Policy refuses)
    expect(agent.locator(".proof-image")).to_have_js_property("complete", True)
    assert agent.evaluate("document.querySelector('.proof-image').naturalWidth") == 40
    assert_accessible(agent)
    agent.get_by_label("Créer un nouveau compte").check()
    agent.get_by_role("button", name="Valider", exact=True).click()
    expect(agent.get_by_text("Demande validée")).to_be_visible()
    agent.context.close()

    page.goto(mailbox.last_link("claire.durand@example.org", "/connexion/"))
    field(page, "Identifiant (adresse mail)").fill("claire.durand@example.org")
    field(page, "Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    expect(
        page.get_by_text("Adresse habitation : PLACE DE L'ÉGLISE 42410 PÉLUSSIN")
    ).to_be_visible()
    assert_accessible(page)
