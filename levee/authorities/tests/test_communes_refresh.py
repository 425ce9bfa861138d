import gzip
import json

import pytest
from django.core.management import CommandError, call_command

from levee.authorities.models import Commune
from levee.authorities.services import communes_build, communes_load

pytestmark = pytest.mark.django_db


@pytest.fixture
def upstream(tmp_path):
    communes = [
        {
            "code": "99001",
            "nom": "Nouvelle-Commune",
            "departement": "99",
            "type": "commune-actuelle",
            "codesPostaux": ["99100", "99101"],
            "population": 12,
        },
        {
            "code": "99002",
            "nom": "Ancienne",
            "departement": "99",
            "type": "commune-deleguee",
            "codesPostaux": ["99100"],
        },
    ]
    epci = [
        {
            "code": "299000001",
            "nom": "CC Test",
            "type": "CC",
            "membres": [{"code": "99001", "nom": "Nouvelle-Commune"}],
        }
    ]
    (tmp_path / "communes.json").write_text(json.dumps(communes), encoding="utf-8")
    (tmp_path / "epci.json").write_text(json.dumps(epci), encoding="utf-8")
    return tmp_path


def test_it_builds_compact_files_of_current_communes_only(upstream):
    out = upstream / "out"
    out.mkdir()
    result = communes_build(
        communes_json=upstream / "communes.json", epci_json=upstream / "epci.json", out_dir=out
    )
    assert result == {"communes": 1, "epci": 1}
    rows = gzip.open(out / "communes.csv.gz", "rt").read().splitlines()
    assert rows[1] == "99001,Nouvelle-Commune,99,299000001,12,99100 99101"


def test_a_newer_file_adds_communes_and_drops_unreferenced_ones(upstream):
    out = upstream / "out"
    out.mkdir()
    communes_build(
        communes_json=upstream / "communes.json", epci_json=upstream / "epci.json", out_dir=out
    )
    result = communes_load(communes_file=out / "communes.csv.gz", epci_file=out / "epci.csv.gz")
    assert result["created"] == 1
    assert Commune.objects.get(insee="99001").postal_codes.count() == 2
    assert not Commune.objects.filter(
        insee="42168"
    ).exists()  # gone from the newer file, referenced by nobody
    communes_load()  # back to the shipped data for the other tests of this transaction


def test_the_command_refuses_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="File not found"):
        call_command(
            "communes_refresh", communes=tmp_path / "nope.json", epci=tmp_path / "nope.json"
        )
