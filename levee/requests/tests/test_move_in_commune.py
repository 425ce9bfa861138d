"""« J'emménage » asks its commune with the platform's one commune picker, kept to the
authority's communes (issue 12, item 6): « code + nom », a name or a code gives the commune,
a code several communes share offers them as radio buttons, anything else says why next to
the field; without JavaScript, and keeping the other answers meanwhile."""

import re

import pytest

from levee.authorities.models import AuthorityCommune
from levee.mailing.models import OutboxMessage
from levee.requests.models import ServiceRequest
from testkit import make_commune

from .conftest import text
from .test_move_in import MOVE_IN, post

pytestmark = pytest.mark.django_db


def sent(client, **overrides) -> ServiceRequest:
    response = client.post(MOVE_IN, post(**overrides), follow=True)
    assert response.redirect_chain[-1][0] == "/flandre-interieure/j-emmenage/envoyee/"
    return ServiceRequest.objects.get()


def commune_error(page: str) -> str:
    match = re.search(r'<p class="error" id="commune-q-error">([^<]*)</p>', page)
    return match.group(1) if match else ""


def radios(page: str) -> list[tuple[str, str]]:
    """(value, label) of the communes offered as radio buttons."""
    return re.findall(
        r'<input type="radio" name="commune" id="commune-[^"]+" value="([^"]+)">\s*'
        r'<label for="commune-[^"]+">([^<]+)',
        page,
    )


@pytest.fixture
def shared_code(world):
    """Two more communes of CCFI behind Hazebrouck's postal code 59190 (and one elsewhere)."""
    for insee, name in (("99901", "Éeckebrouck"), ("99902", "Zuytbrouck")):
        commune = make_commune(insee=insee, name=name, postal_codes=["59190"])
        AuthorityCommune.objects.create(authority=world.ccfi, commune=commune)
    make_commune(insee="99903", name="Ailleursbrouck", postal_codes=["59190"])
    return world


@pytest.mark.parametrize(
    "typed", ["59190 Hazebrouck", "59190 HAZEBROUCK", "hazebrouck", "Hazebrouck 59190", "59190"]
)
def test_code_and_name_or_either_gives_the_commune(client, world, typed):
    asked = sent(client, q=typed)
    assert asked.commune.insee == "59295"
    assert asked.requested["postal_code"] == "59190"
    assert asked.requested["address"] == "3 BIS RUE DE LA GARE 59190 HAZEBROUCK"


def test_a_shared_code_offers_the_authoritys_communes_in_french_order(client, shared_code):
    response = client.post(MOVE_IN, post(q="59190"))
    page = text(response)
    assert response.status_code == 200 and not ServiceRequest.objects.exists()
    assert radios(page) == [
        ("99901-59190", "59190 Éeckebrouck"),
        ("59295-59190", "59190 Hazebrouck"),
        ("99902-59190", "59190 Zuytbrouck"),
    ]  # Ailleursbrouck is not served by the authority
    assert commune_error(page) == (
        "Plusieurs communes correspondent : choisissez la vôtre dans la liste."
    )
    assert 'aria-describedby="commune-q-help commune-q-error" aria-invalid="true"' in page
    assert '<input type="hidden" name="liste" value="59190">' in page

    # The pick, sent with the rest of the form, gives the commune.
    asked = sent(client, q="59190", liste="59190", commune="99902-59190")
    assert asked.commune.insee == "99902"
    assert asked.requested["address"] == "3 BIS RUE DE LA GARE 59190 ZUYTBROUCK"


def test_the_live_lists_pick_travels_as_the_commune(client, shared_code):
    asked = sent(client, q="59190 Éeckebrouck", commune="99901-59190")
    assert asked.commune.insee == "99901"


@pytest.mark.parametrize(
    "typed, message",
    [
        ("", "Saisissez le code postal ou le nom de votre commune."),
        ("Trifouillis", "Aucune commune ne correspond à « Trifouillis »."),
        ("42410 Pélussin", "« 42410 Pélussin » : cette commune n'est pas desservie"),
    ],
)
def test_no_commune_of_the_authority_says_why_next_to_the_field(client, world, typed, message):
    response = client.post(MOVE_IN, post(q=typed))
    page = text(response)
    assert response.status_code == 200
    assert message in commune_error(page)
    assert 'aria-describedby="commune-q-help commune-q-error" aria-invalid="true"' in page
    assert "Le formulaire contient des erreurs" in page
    assert not ServiceRequest.objects.exists() and not OutboxMessage.objects.exists()


def test_a_pick_of_another_authority_is_refused(client, world):
    response = client.post(MOVE_IN, post(q="42410 Pélussin", commune="42168-42410"))
    assert "cette commune n'est pas desservie par la collectivité" in commune_error(text(response))
    assert not ServiceRequest.objects.exists()


def test_the_other_answers_are_kept_while_the_commune_is_asked_again(client, shared_code):
    page = text(client.post(MOVE_IN, post(q="59190", plan_volume_litres="")))
    assert 'id="commune-q" name="q" value="59190"' in page
    for kept in (
        'value="rue de la Gare"',
        'value="3"',
        'value="Durand"',
        'value="Jeanne"',
        'value="jeanne.durand@example.org"',
        'value="06 11 22 33 44"',
        '<option value="Mme" selected>Mme</option>',
        '<option value="bis" selected>',
    ):
        assert kept in page, kept
    page = text(client.post(MOVE_IN, post(q="Trifouillis", street="")))
    assert 'id="commune-q" name="q" value="Trifouillis"' in page
    assert "Aucune commune ne correspond" in page and 'id="id_street_error"' in page
