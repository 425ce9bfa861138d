"""The one commune picker (issue 12, item 6): what a person types, as the list itself shows
it or as he would say it, finds the commune; a shared postal code offers the choice."""

from html import unescape

import pytest

from levee.authorities.forms import CommunePickerForm
from levee.authorities.models import Commune
from levee.authorities.selectors import commune_pick, communes_matching
from levee.authorities.services import authority_create_from_epci

pytestmark = pytest.mark.django_db

PILAT_SIREN = "244200895"


@pytest.fixture
def communes():
    """Loaded once per session by the root conftest's django_db_setup."""
    assert Commune.objects.exists()


@pytest.fixture
def pilat(communes):
    return authority_create_from_epci(
        siren=PILAT_SIREN, slug="pilat-rhodanien", code="00420", contact_email="a@b.fr"
    )


def labels(text, **kwargs):
    return [m.label for m in communes_matching(text, **kwargs)]


@pytest.mark.parametrize(
    "typed",
    [
        "42410 Pélussin",
        "42410 PÉLUSSIN",
        "42410 PELUSSIN",
        "42410 pelussin",
        "Pélussin 42410",
        "Pélussin (42)",
        "42 410 Pélussin",
        "  pélussin  ",
        "PELUSSIN",
        "Pelussin",
    ],
)
def test_code_and_name_or_name_alone_pick_the_commune(communes, typed):
    choice, matches = commune_pick(typed)
    assert choice is not None and choice.label == "42410 Pélussin", typed
    assert matches[0].label == "42410 Pélussin"


def test_a_postal_code_shared_by_several_communes_offers_the_choice(communes):
    choice, matches = commune_pick("42410")
    assert choice is None
    assert {"42410 Pélussin", "42410 Chavanay"} <= {m.label for m in matches}
    assert all(m.postal_code == "42410" for m in matches) and len(matches) >= 3


def test_the_choice_is_kept_to_the_authority_communes(pilat):
    served = labels("42410", authority=pilat)
    assert "42410 Pélussin" in served and len(served) >= 3
    assert labels("75001", authority=pilat) == []
    assert labels("pelussin", authority=pilat) == ["42410 Pélussin"]


@pytest.mark.parametrize(
    "typed, expected",
    [
        ("saint-etienne", "Saint-Étienne"),
        ("st etienne", "Saint-Étienne"),
        ("St-Étienne", "Saint-Étienne"),
        ("SAINT ETIENNE", "Saint-Étienne"),
        ("saintetienne", "Saint-Étienne"),
        ("42000 st-etienne", "Saint-Étienne"),
        ("Hazebrouck", "Hazebrouck"),
        ("59190 HAZEBROUCK", "Hazebrouck"),
        ("l'hopital", "L'Hôpital"),
    ],
)
def test_accents_case_hyphens_and_saint_are_ignored(communes, typed, expected):
    matches = communes_matching(typed)
    assert matches and matches[0].name == expected, (typed, [m.label for m in matches[:5]])


def test_the_same_name_comes_before_names_that_start_with_it(communes):
    names = [m.name for m in communes_matching("bailleul")]
    assert names[0] == "Bailleul" and "Bailleul-Sir-Berthoult" in names
    assert names.index("Bailleul-Sir-Berthoult") > max(
        i for i, n in enumerate(names) if n == "Bailleul"
    )


@pytest.mark.parametrize("typed", ["zzzzzz", "42410 Hazebrouck", "99999", "", "   ", "a" * 5000])
def test_nothing_matches_what_no_commune_is(communes, typed):
    assert communes_matching(typed) == []
    assert commune_pick(typed) == (None, [])


def test_the_form_says_why_next_to_the_field(pilat):
    form = CommunePickerForm({"q": "zzzz"})
    assert not form.is_valid() and form.choice is None
    assert "Aucune commune ne correspond à « zzzz »" in form.error
    form = CommunePickerForm({"q": "75001 Paris"}, authority=pilat)
    assert form.choice is None and "n'est pas desservie" in form.error
    form = CommunePickerForm({"q": "42410", "liste": "42410"})
    assert not form.is_valid() and "choisissez la vôtre" in form.error
    form = CommunePickerForm({"q": "42410"})
    assert form.is_valid() and form.choice is None and form.offers_list and not form.error


def test_the_home_takes_what_the_list_shows(client, pilat):
    for typed in ("42410 Pélussin", "42410 PÉLUSSIN", "pelussin", "Pélussin (42)"):
        response = client.get("/", {"q": typed})
        assert response.status_code == 302, typed
        assert response["Location"] == "/pilat-rhodanien/"


def test_the_home_offers_radio_buttons_for_a_shared_code(client, pilat):
    page = unescape(client.get("/", {"q": "42410"}).content.decode())
    assert 'type="radio" name="commune" id="commune-42168-42410" value="42168-42410"' in page
    assert "<legend>Sélectionnez votre commune" in page
    assert "Aucune commune ne correspond" not in page
    again = unescape(client.get("/", {"q": "42410", "liste": "42410"}).content.decode())
    assert "Plusieurs communes correspondent" in again and 'id="commune-q-error"' in again


def test_the_home_answers_no_match_next_to_the_field(client, pilat):
    page = unescape(client.get("/", {"q": "Pélussinville"}).content.decode())
    assert 'id="commune-q-error">Aucune commune ne correspond à « Pélussinville »' in page
    assert 'aria-describedby="commune-q-help commune-q-error"' in page


def test_the_search_endpoint_keeps_to_one_authority(client, pilat):
    data = client.get("/communes/recherche", {"q": "42410", "collectivite": "pilat-rhodanien"})
    keys = [r["key"] for r in data.json()["results"]]
    assert "42168-42410" in keys and all(r["served"] for r in data.json()["results"])
    data = client.get("/communes/recherche", {"q": "75001", "collectivite": "pilat-rhodanien"})
    assert data.json() == {"results": []}
    data = client.get("/communes/recherche", {"q": "42410", "collectivite": "<nope>"})
    assert data.json() == {"results": []}
    data = client.get("/communes/recherche", {"q": "42410 Pélussin"})
    assert data.json()["results"][0]["label"] == "42410 Pélussin"
