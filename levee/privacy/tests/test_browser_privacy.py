"""« Mon profil » in Chromium, with the keyboard only: « Dernières connexions », « Télécharger
mes données », then « Supprimer mon identifiant » with the password asked again. axe on
every page."""

import json

import pytest
from playwright.sync_api import expect

from levee.accounts.models import User
from testkit import PASSWORD, ccfi_world, field, make_user

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def dupont(settings, live_server):
    settings.SITE_URL = live_server.url
    _, account = ccfi_world()
    return make_user("dupont59@gmail.com", accounts=[account])


def tab_to(page, name: str, *, limit: int = 80):
    """Presses Tab until the focused element is the link or button named `name`."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.textContent.trim()")
        if focused == name:
            return
    raise AssertionError(f"{name!r} is not reachable with Tab")


def test_a_resident_downloads_his_data_and_deletes_his_login_with_the_keyboard(
    page, dupont, mailbox, assert_accessible
):
    page.goto("/flandre-interieure/connexion/")
    field(page, "Identifiant (adresse mail)").fill("dupont59@gmail.com")
    field(page, "Mot de passe").fill(PASSWORD)
    field(page, "Mot de passe").press("Enter")
    expect(page.get_by_text("Référence abonné : 00001")).to_be_visible()

    tab_to(page, "Mon profil")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Dernières connexions")).to_be_visible()
    connections = page.get_by_role("table", name="Vos dernières connexions")
    expect(connections.get_by_role("row")).to_have_count(2)  # the header and this login
    expect(connections).to_contain_text("Espace usager")
    assert_accessible(page)

    tab_to(page, "Télécharger mes données (JSON)")
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    exported = json.loads(open(download.value.path(), encoding="utf-8").read())
    assert exported["identifiant"]["adresse email"] == "dupont59@gmail.com"
    assert [a["code usager"] for a in exported["comptes"]] == ["00001"]

    tab_to(page, "Supprimer mon identifiant")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Supprimer mon identifiant")).to_be_visible()
    assert_accessible(page)
    tab_to(page, "Supprimer définitivement mon identifiant")
    page.keyboard.press("Enter")  # no password: said next to the field
    expect(page.get_by_text("Ce champ est obligatoire.")).to_be_visible()
    assert_accessible(page)
    field(page, "Mot de passe").focus()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")

    expect(page.get_by_text("Votre identifiant est supprimé.")).to_be_visible()
    expect(page.get_by_role("link", name="J'accède à mon espace")).to_be_visible()
    assert_accessible(page)
    assert not User.objects.filter(email="dupont59@gmail.com").exists()
    assert any(
        "dupont59@gmail.com" in m.to and "Votre identifiant est supprimé" in m.subject
        for m in mailbox.messages
    )
