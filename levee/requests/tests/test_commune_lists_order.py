"""The commune lists sort the French way, accents aside, on every database (issue 12,
item 11: « Éecke » came after « Zuytpeene » in J'emménage's list)."""

import pytest

from levee.authorities.models import Commune
from levee.authorities.services import authority_create_from_epci
from levee.lib.text import fold, sort_key_fr
from levee.requests.kinds.move_in import commune_choices
from testkit import make_authority, make_commune

pytestmark = pytest.mark.django_db

COEUR_DE_FLANDRE_SIREN = "200040947"


def test_move_in_lists_accented_communes_among_the_others():
    communes = [
        make_commune(insee=insee, name=name, postal_codes=[pc])
        for insee, name, pc in [
            ("99001", "Zuytpeene", "59670"),
            ("99002", "Éecke", "59114"),
            ("99003", "Estaires", "59940"),
            ("99004", "Eblinghem", "59173"),
            ("99005", "Œuilly", "02160"),
            ("99006", "Oost-Cappel", "59122"),
        ]
    ]
    authority = make_authority(slug="ccfi", communes=communes)
    names = [commune.name for _, _, commune, _ in commune_choices(authority)]
    assert names == ["Eblinghem", "Éecke", "Estaires", "Œuilly", "Oost-Cappel", "Zuytpeene"]


def test_a_real_authority_lists_its_communes_in_french_order():
    assert Commune.objects.exists()  # loaded once per session by the root conftest
    authority = authority_create_from_epci(
        siren=COEUR_DE_FLANDRE_SIREN, slug="ccfi", code="00240", contact_email="a@b.fr"
    )
    names = [commune.name for _, _, commune, _ in commune_choices(authority)]
    assert len(names) >= 50 and names == sorted(names, key=fold)


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
