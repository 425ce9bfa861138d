"""« Ouverture de mon compte », step « Commune »: the platform's one commune picker, kept to
the communes the authority serves (issue 12, item 6)."""

from html import unescape

import pytest

from levee.authorities.services import authority_create_from_epci

pytestmark = pytest.mark.django_db

START = "/pilat-rhodanien/ouvrir-un-compte/"


@pytest.fixture
def pilat():
    return authority_create_from_epci(
        siren="244200895",
        slug="pilat-rhodanien",
        code="00420",
        contact_email="a@b.fr",
        signup_with_proof=True,
    )


def text(response) -> str:
    return unescape(response.content.decode())


@pytest.mark.parametrize("typed", ["42410 Pélussin", "42410 PELUSSIN", "Pélussin", "pelussin"])
def test_the_commune_typed_as_the_list_shows_it_opens_the_form(client, pilat, typed):
    response = client.get(START, {"q": typed})
    assert response.status_code == 302, typed
    assert response["Location"] == f"{START}42168/42410/"


def test_a_postal_code_three_served_communes_share_offers_the_choice(client, pilat):
    # Before: « 42410 » alone answered « Cette commune n'est pas desservie ».
    page = text(client.get(START, {"q": "42410"}))
    assert "n'est pas desservie" not in page
    radios = page.count('type="radio" name="commune"')
    assert radios >= 3 and 'value="42168-42410"' in page and "42410 Chavanay" in page
    response = client.get(START, {"q": "42410", "liste": "42410", "commune": "42168-42410"})
    assert response["Location"] == f"{START}42168/42410/"


def test_a_commune_of_another_authority_is_refused_next_to_the_field(client, pilat):
    page = text(client.get(START, {"q": "59190 Hazebrouck"}))
    assert "« 59190 Hazebrouck » : cette commune n'est pas desservie par la collectivité" in page
    assert 'aria-describedby="commune-q-help commune-q-error"' in page
    page = text(client.get(START, {"q": "x", "commune": "59295-59190"}))
    assert "n'est pas desservie par la collectivité" in page


def test_nothing_typed_or_nothing_matching_is_said(client, pilat):
    assert "Saisissez le code postal ou le nom de votre commune." in text(
        client.get(START, {"q": ""})
    )
    assert "Aucune commune ne correspond à « zzzz »" in text(client.get(START, {"q": "zzzz"}))
