"""The commune lists sort the French way, accents aside, on every database (issue 12,
item 11: « Éecke » came after « Zuytpeene » in J'emménage's list)."""

import re
from collections import Counter

import pytest

from levee.authorities.models import Commune
from levee.authorities.services import authority_create_from_epci
from levee.lib.text import sort_key_fr
from testkit import make_authority, make_commune

pytestmark = pytest.mark.django_db

COEUR_DE_FLANDRE_SIREN = "200040947"


def move_in_offers(client, authority, typed: str) -> list[str]:
    """The communes « J'emménage » offers as radio buttons for what was typed."""
    page = client.post(f"/{authority.slug}/j-emmenage/", {"q": typed}).content.decode()
    return [
        re.sub(r"^\d{5} ", "", label).strip()
        for label in re.findall(r'<label for="commune-\d[0-9AB]\d{3}-\d{5}">([^<]+)', page)
    ]


def test_move_in_lists_accented_communes_among_the_others(client):
    communes = [
        make_commune(insee=insee, name=name, postal_codes=["59999"])
        for insee, name in [
            ("99001", "Zuytpeene"),
            ("99002", "Éecke"),
            ("99003", "Estaires"),
            ("99004", "Eblinghem"),
            ("99005", "Œuilly"),
            ("99006", "Oost-Cappel"),
        ]
    ]
    authority = make_authority(slug="ccfi", communes=communes)
    assert move_in_offers(client, authority, "59999") == [
        "Eblinghem",
        "Éecke",
        "Estaires",
        "Œuilly",
        "Oost-Cappel",
        "Zuytpeene",
    ]


def test_a_real_authority_offers_the_communes_of_a_code_in_french_order(client):
    assert Commune.objects.exists()  # loaded once per session by the root conftest
    authority = authority_create_from_epci(
        siren=COEUR_DE_FLANDRE_SIREN, slug="ccfi", code="00240", contact_email="a@b.fr"
    )
    codes = Counter(
        pc.postal_code
        for commune in authority.communes.prefetch_related("postal_codes")
        for pc in commune.postal_codes.all()
    )
    shared = [code for code, n in codes.items() if n > 1]
    assert shared
    for code in shared:
        names = move_in_offers(client, authority, code)
        assert len(names) == codes[code] and names == sorted(names, key=sort_key_fr), code


def test_the_french_key_ignores_accents_case_and_hyphens():
    names = ["Zuytpeene", "Éecke", "Estaires", "eblinghem", "Sainte-Croix", "Saint-Étienne"]
    assert sorted(names, key=sort_key_fr) == [
        "eblinghem",
        "Éecke",
        "Estaires",
        "Saint-Étienne",
        "Sainte-Croix",
        "Zuytpeene",
    ]


def _flanders():
    names = [
        ("99001", "Zuytpeene", "59670"),
        ("99002", "Éecke", "59114"),
        ("99003", "Estaires", "59114"),
        ("99004", "Eblinghem", "59114"),
    ]
    communes = [make_commune(insee=i, name=n, postal_codes=[pc]) for i, n, pc in names]
    return make_authority(slug="ccfi", communes=communes)


FRENCH = ["Eblinghem", "Éecke", "Estaires", "Zuytpeene"]


def test_the_other_commune_lists_sort_the_same_way():
    from levee.calendars.forms import ScheduleForm
    from levee.calendars.selectors import communes_with_calendars
    from levee.requests.kinds.common import authority_commune_of
    from levee.requests.models import ServiceRequest
    from levee.requests.selectors import communes_with_requests

    authority = _flanders()
    assert [c.name for c in communes_with_calendars(authority)] == FRENCH
    form = ScheduleForm(authority=authority, policy="")
    assert [c.name for c in form.fields["commune"].queryset] == FRENCH
    _, names = authority_commune_of(authority, postal_code="59114", city="x")
    assert names == ["Eblinghem", "Éecke", "Estaires"]
    for commune in authority.communes.all():
        ServiceRequest.objects.create(authority=authority, commune=commune, kind="move_in")
    assert [c.name for c in communes_with_requests(authority)] == FRENCH
