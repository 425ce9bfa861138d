"""Flow 1 in Chromium: find my authority with the autocomplete, by mouse and by keyboard."""

import pytest
from playwright.sync_api import expect

from levee.authorities.services import authority_create_from_epci
from testkit import field

pytestmark = pytest.mark.django_db(transaction=True)


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


def test_a_resident_types_pelussin_and_reaches_his_authority(page, pilat, assert_accessible):
    page.goto("/")
    assert_accessible(page)
    field(page, "Code postal ou nom de votre commune").press_sequentially("pelussin", delay=20)
    option = page.get_by_role("option", name="42410 Pélussin")
    expect(option).to_be_visible()
    assert_accessible(page)
    option.click()
    page.get_by_role("button", name="Valider ma commune").click()
    page.wait_for_url("**/pilat-rhodanien/")
    expect(page.get_by_role("link", name="Ouvrir un compte maintenant")).to_be_visible()
    assert_accessible(page)


def test_the_autocomplete_works_with_the_keyboard(page, pilat):
    page.goto("/")
    combobox = page.get_by_role("combobox", name="Code postal ou nom de votre commune")
    combobox.press_sequentially("42410", delay=20)
    expect(page.get_by_role("option", name="42410 Pélussin")).to_be_visible()
    labels = page.get_by_role("option").all_inner_texts()
    for _ in range(labels.index("42410 Pélussin") + 1):
        combobox.press("ArrowDown")
    expect(page.get_by_role("option", name="42410 Pélussin")).to_have_attribute(
        "aria-selected", "true"
    )
    combobox.press("Enter")
    expect(combobox).to_have_value("42410 Pélussin")
    combobox.press("Enter")
    expect(page.get_by_role("heading", name="Gestion des déchets")).to_be_visible()
    assert page.url.endswith("/pilat-rhodanien/")


def test_a_commune_without_authority_gets_a_clear_message(page, pilat, assert_accessible):
    page.goto("/")
    field(page, "Code postal ou nom de votre commune").press_sequentially("75001", delay=20)
    page.get_by_role("option").first.click()
    page.get_by_role("button", name="Valider ma commune").click()
    expect(
        page.get_by_text(
            "Aucune collectivité de la plateforme ne dessert encore la commune de Paris"
        )
    ).to_be_visible()
    assert_accessible(page)
