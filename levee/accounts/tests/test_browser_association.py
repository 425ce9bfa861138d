"""Seed 002 in Chromium: « Mon profil » → « Associer un autre compte », three steps, then
the account selector switches between the two accounts."""

import pytest
from playwright.sync_api import expect

from testkit import PASSWORD, ccfi_world, field, make_account, make_user, pilat_world

pytestmark = pytest.mark.django_db(transaction=True)


def test_seed_002_associate_a_second_account(page, live_server, communes, assert_accessible):
    _, dupont_ccfi = ccfi_world()
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
    make_user("dupont59@gmail.com", accounts=[dupont_ccfi])

    page.goto("/flandre-interieure/connexion/")
    field(page, "Identifiant (adresse mail)").fill("dupont59@gmail.com")
    field(page, "Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    page.get_by_role("link", name="Mon profil").first.click()
    assert_accessible(page)
    page.get_by_role("link", name="Associer un autre compte").click()
    expect(page.get_by_text("Étape 1 / 3")).to_be_visible()
    assert_accessible(page)
    field(page, "Commune").press_sequentially("42410", delay=20)
    page.get_by_role("option", name="42410 Pélussin").click()
    page.get_by_role("button", name="Valider la commune").click()
    expect(page.get_by_text("Étape 2 / 3")).to_be_visible()
    assert_accessible(page)
    field(page, "Clé d'activation").fill("VZKRTQPM")
    page.get_by_role("button", name="Valider la clé d'activation").click()
    expect(page.get_by_text("Étape 3 / 3")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Valider", exact=True).click()
    expect(page.get_by_text("Le nouveau compte est maintenant associé !")).to_be_visible()
    expect(page.get_by_text("Référence abonné : 10042")).to_be_visible()
    expect(page.get_by_text("Adresse habitation : 12 RUE DU PILAT 42410 PÉLUSSIN")).to_be_visible()
    assert_accessible(page)

    page.get_by_label("Compte affiché").select_option(label="00001 — DUPONT PIERRE — CCFI")
    page.get_by_role("button", name="Afficher").click()
    expect(page.get_by_text("Référence abonné : 00001")).to_be_visible()
    expect(
        page.get_by_text("Adresse habitation : 29 ROUTE DE MÉTEREN 59270 BAILLEUL")
    ).to_be_visible()
