"""The one commune picker in Chromium (issue 12, item 6): « 42410 Pélussin » as the list
shows it, and « 42410 », which three served communes share, on the platform home and at the
commune step of « Ouvrir un compte maintenant »; axe-core on every state."""

import pytest
from playwright.sync_api import expect

from levee.authorities.services import authority_create_from_epci
from testkit import field

pytestmark = pytest.mark.django_db(transaction=True)

HOME_FIELD = "Code postal ou nom de votre commune"


@pytest.fixture
def pilat(live_server, communes):  # the database is flushed between browser tests
    return authority_create_from_epci(
        siren="244200895",
        slug="pilat-rhodanien",
        code="00420",
        contact_email="dechets@pilat.example.org",
        name="Communauté de Communes du Pilat Rhodanien",
        signup_with_proof=True,
    )


def test_the_home_takes_42410_pelussin_as_typed(page, pilat, assert_accessible):
    page.goto("/")
    field(page, HOME_FIELD).press_sequentially("42410 Pélussin", delay=20)
    expect(page.get_by_role("option", name="42410 Pélussin")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Valider ma commune").click()
    page.wait_for_url("**/pilat-rhodanien/")
    expect(page.get_by_role("link", name="Ouvrir un compte maintenant")).to_be_visible()


def test_the_home_offers_the_communes_of_42410_as_radio_buttons(page, pilat, assert_accessible):
    page.goto("/")
    field(page, HOME_FIELD).press_sequentially("42410", delay=20)
    expect(page.get_by_role("option", name="42410 Pélussin")).to_be_visible()
    field(page, HOME_FIELD).press("Escape")
    page.get_by_role("button", name="Valider ma commune").click()
    choices = page.get_by_role("group", name="Sélectionnez votre commune")
    expect(choices).to_be_visible()
    assert choices.get_by_role("radio").count() >= 3
    assert_accessible(page)
    page.get_by_role("button", name="Valider ma commune").click()
    expect(page.get_by_text("Plusieurs communes correspondent")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("radio", name="42410 Pélussin").check()
    page.get_by_role("button", name="Valider ma commune").click()
    page.wait_for_url("**/pilat-rhodanien/")


def test_the_home_says_when_nothing_matches(page, pilat, assert_accessible):
    page.goto("/")
    field(page, HOME_FIELD).fill("Pélussinville")
    page.get_by_role("button", name="Valider ma commune").click()
    expect(page.get_by_text("Aucune commune ne correspond à « Pélussinville »")).to_be_visible()
    expect(field(page, HOME_FIELD)).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)


def test_the_opening_step_takes_42410_pelussin_and_42410(page, pilat, assert_accessible):
    page.goto("/pilat-rhodanien/ouvrir-un-compte/")
    assert_accessible(page)
    combobox = page.get_by_role("combobox", name=HOME_FIELD)
    combobox.press_sequentially("42410 Pélussin", delay=20)
    expect(page.get_by_role("option", name="42410 Pélussin")).to_be_visible()
    page.get_by_role("button", name="Valider ma commune").click()
    expect(page.get_by_role("heading", name="Demande d'ouverture de mon compte")).to_be_visible()
    expect(page.get_by_text("PÉLUSSIN")).to_be_visible()

    page.goto("/pilat-rhodanien/ouvrir-un-compte/")
    combobox = page.get_by_role("combobox", name=HOME_FIELD)
    combobox.press_sequentially("42410", delay=20)
    options = page.get_by_role("option")
    expect(options.first).to_be_visible()
    labels = options.all_inner_texts()
    assert "42410 Pélussin" in labels and len(labels) >= 3
    assert all(label.startswith("42410 ") for label in labels)  # served by Pilat only
    assert_accessible(page)
    combobox.press("Escape")
    page.get_by_role("button", name="Valider ma commune").click()
    expect(page.get_by_text("n'est pas desservie")).to_have_count(0)
    page.get_by_role("radio", name="42410 Pélussin").check()
    assert_accessible(page)
    page.get_by_role("button", name="Valider ma commune").click()
    expect(page.get_by_role("heading", name="Demande d'ouverture de mon compte")).to_be_visible()


def test_the_opening_step_works_with_the_keyboard(page, pilat):
    page.goto("/pilat-rhodanien/ouvrir-un-compte/")
    combobox = page.get_by_role("combobox", name=HOME_FIELD)
    combobox.press_sequentially("pelus", delay=20)
    expect(page.get_by_role("option", name="42410 Pélussin")).to_be_visible()
    combobox.press("ArrowDown")
    combobox.press("Enter")
    expect(combobox).to_have_value("42410 Pélussin")
    combobox.press("Enter")
    expect(page.get_by_role("heading", name="Demande d'ouverture de mon compte")).to_be_visible()
