import time
from html import unescape

import pytest
from django.core.management import call_command

from levee.authorities.models import Authority, Commune, CommunePostalCode
from levee.authorities.selectors import commune_search
from levee.authorities.services import AuthorityError, authority_create_from_epci, communes_load

pytestmark = pytest.mark.django_db

PILAT_SIREN = "244200895"
COEUR_DE_FLANDRE_SIREN = "200040947"


@pytest.fixture
def communes():
    """Loaded once per session by the root conftest's django_db_setup."""
    assert Commune.objects.exists()


def test_it_loads_every_current_commune_once(communes):
    assert Commune.objects.count() == 34969
    assert Commune.objects.get(insee="42168").name == "Pélussin"
    assert list(
        Commune.objects.get(insee="59043").postal_codes.values_list("postal_code", flat=True)
    ) == ["59270"]
    before = (Commune.objects.count(), CommunePostalCode.objects.count())
    assert communes_load()["created"] == 0
    assert (Commune.objects.count(), CommunePostalCode.objects.count()) == before


def test_it_finds_a_commune_whatever_the_accents_and_case(communes):
    for typed in ("pelussin", "Pélussin", "PELUSSIN", "42410", "424"):
        labels = [m.label for m in commune_search(typed)]
        assert "42410 Pélussin" in labels, typed


def test_it_understands_st_for_saint(communes):
    assert any(m.name == "Saint-Étienne" for m in commune_search("st etienne"))


def test_it_names_the_authority_serving_a_commune(communes):
    authority_create_from_epci(
        siren=PILAT_SIREN, slug="pilat-rhodanien", code="00420", contact_email="a@b.fr"
    )
    (match,) = [m for m in commune_search("pelussin") if m.insee == "42168"]
    assert match.authority_slug == "pilat-rhodanien"
    assert (
        commune_search("paris 1")[0].authority_slug is None if commune_search("paris 1") else True
    )


def test_it_searches_in_a_constant_number_of_queries(communes, django_assert_num_queries):
    commune_search("sai", limit=10)  # builds the in-memory index once
    for query in ("sai", "saint etienne", "59", "pelussin"):
        with django_assert_num_queries(3):
            commune_search(query, limit=10)
    start = time.perf_counter()
    for _ in range(20):
        commune_search("saint", limit=10)
    assert (
        time.perf_counter() - start
    ) / 20 < 0.5  # generous: the benchmark measures the real figure


def test_it_creates_an_authority_from_an_epci(communes):
    authority = authority_create_from_epci(
        siren=PILAT_SIREN,
        slug="pilat-rhodanien",
        code="00420",
        contact_email="dechets@pilat.example.org",
    )
    assert authority.name == "CC du Pilat Rhodanien"
    assert authority.communes.count() == 14
    assert authority.communes.filter(insee="42168").exists()


@pytest.mark.parametrize("slug", ["admin", "backoffice", "api", "static", "media", "usager"])
def test_it_refuses_a_reserved_slug(communes, slug):
    with pytest.raises(AuthorityError, match="réservé"):
        authority_create_from_epci(
            siren=PILAT_SIREN, slug=slug, code="00420", contact_email="a@b.fr"
        )
    assert not Authority.objects.exists()


def test_it_refuses_an_unknown_siren(communes):
    with pytest.raises(AuthorityError, match="Aucun EPCI"):
        authority_create_from_epci(
            siren="123456789", slug="x", code="00420", contact_email="a@b.fr"
        )


def test_it_refuses_communes_already_served(communes):
    authority_create_from_epci(
        siren=PILAT_SIREN, slug="pilat-rhodanien", code="00420", contact_email="a@b.fr"
    )
    with pytest.raises(AuthorityError, match="déjà desservies"):
        authority_create_from_epci(
            siren=PILAT_SIREN, slug="pilat-bis", code="00421", contact_email="a@b.fr"
        )


def test_the_command_creates_an_authority_and_explains_errors(communes):
    call_command(
        "authority_create", siren=COEUR_DE_FLANDRE_SIREN, slug="coeur", code="00240", email="a@b.fr"
    )
    assert Authority.objects.get(slug="coeur").communes.count() == 50
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="Aucun EPCI"):
        call_command("authority_create", siren="000000000", slug="x", code="00001", email="a@b.fr")


def test_the_platform_home_answers_without_javascript(client, communes):
    authority_create_from_epci(
        siren=PILAT_SIREN, slug="pilat-rhodanien", code="00420", contact_email="a@b.fr"
    )
    page = unescape(client.get("/", {"q": "42410"}).content.decode())
    assert "Sélectionnez votre commune" in page and "42410 Pélussin" in page
    response = client.get("/", {"q": "42410", "commune": "42168-42410"})
    assert response.status_code == 302 and response["Location"] == "/pilat-rhodanien/"


def test_the_platform_home_says_when_no_authority_serves_the_commune(client, communes):
    page = unescape(client.get("/", {"q": "paris", "commune": "75056-75001"}).content.decode())
    assert "Aucune collectivité de la plateforme ne dessert encore la commune de Paris" in page


@pytest.mark.parametrize(
    "params, message",
    [
        ({"q": ""}, "Saisissez le code postal ou le nom de votre commune."),
        ({"q": "zzzzzz"}, "Aucune commune ne correspond"),
        ({"q": "x", "commune": "99999-00000"}, "Choisissez votre commune dans la liste proposée."),
        ({"q": "x", "commune": "<script>"}, "Choisissez votre commune dans la liste proposée."),
        ({"q": "a" * 5000}, "Aucune commune ne correspond"),
    ],
)
def test_the_platform_home_explains_bad_input(client, communes, params, message):
    response = client.get("/", params)
    assert response.status_code == 200
    assert message in unescape(response.content.decode())


def test_the_search_endpoint_answers_json(client, communes):
    data = client.get("/communes/recherche", {"q": "42410"}).json()
    assert {"key": "42168-42410", "label": "42410 Pélussin", "served": False} in data["results"]
    assert client.get("/communes/recherche", {"q": ""}).json() == {"results": []}
