"""The reading endpoints: their rows and fields, whose accounts they read, what a wrong
parameter answers (400 with a French message, never a 500), and their queries' count."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from levee.collection.models import Flux

from .conftest import PARIS, PASSWORD, lift, make_bin

LOGIN_FORM = '<form action="/Usager/Profil/Connexion"'
COLLECTE = "/Usager/Collecte/GetCollecte"
ENDPOINTS = [
    COLLECTE,
    "/Usager/Apport/GetApport",
    "/Usager/Json/ObtenirStatistiqueLeveesMensuel",
    "/Usager/Json/ObtenirStatistiqueApportPAVMensuel",
    "/Usager/Collecte",
]


@pytest.fixture
def dupont(client, world):
    client.post(
        "/Usager/Profil/Connexion", {"Identifiant": "dupont59@gmail.com", "MotDePasse": PASSWORD}
    )
    return client


def year_params(year, **extra):
    return {
        "dateDebut": f"{year}-01-01T00:00:00.000Z",
        "dateFin": f"{year}-12-31T23:59:59.999Z",
        **extra,
    }


@pytest.mark.parametrize("path", ENDPOINTS)
@pytest.mark.parametrize("prefix", ["", "/flandre-interieure"])
def test_without_a_session_each_answers_the_login_form(client, world, path, prefix):
    response = client.get(f"{prefix}{path}")
    assert response.status_code == 200
    assert LOGIN_FORM in response.content.decode()


def test_an_unknown_authority_is_a_404(dupont):
    assert dupont.get(f"/nulle-part{COLLECTE}").status_code == 404


def test_get_collecte_lists_every_account_of_the_login_with_ecocitos_fields(dupont, world):
    year = world["year"]
    data = dupont.get(COLLECTE, year_params(year, idMatiere=-1)).json()
    assert data["totalCount"] == 4
    first = data["data"][0]  # newest first without `sort`
    assert first == {
        "DATE_DONNEE": f"{year}-07-14T08:15:00",
        "LIBELLE_ADRESSE": "3 RUE DU PILAT 42410 PÉLUSSIN",
        "QUANTITE_NETTE": 9.0,
        "NumeroCuve": "",
        "NumeroPuce": "E0049999",
        "ID_MATIERE": 1,
        "LIBELLE_MATIERE": "Ordures ménagères",
        "CODE_USAGER": "10042",
        "COLLECTIVITE": "pilat-rhodanien",
    }
    assert datetime.datetime.fromisoformat(first["DATE_DONNEE"]).year == year


def test_another_residents_lifts_are_never_listed(client, world):
    client.post(
        "/Usager/Profil/Connexion", {"Identifiant": "durand@example.org", "MotDePasse": PASSWORD}
    )
    rows = client.get(COLLECTE, year_params(world["year"])).json()["data"]
    assert [r["CODE_USAGER"] for r in rows] == ["00002"]
    assert client.get(f"/pilat-rhodanien{COLLECTE}").json() == {"data": [], "totalCount": 0}


def test_the_flux_page_skip_take_and_sort(dupont, world):
    year = world["year"]
    only_recyclables = dupont.get(COLLECTE, year_params(year, idMatiere=2)).json()
    assert [r["QUANTITE_NETTE"] for r in only_recyclables["data"]] == [4.0]
    page = dupont.get(
        COLLECTE,
        year_params(
            year,
            skip=1,
            take=2,
            requireTotalCount="true",
            sort='[{"selector":"QUANTITE_NETTE","desc":true}]',
        ),
    ).json()
    assert [r["QUANTITE_NETTE"] for r in page["data"]] == [10.5, 9.0]
    assert page["totalCount"] == 4


def test_take_is_bounded(dupont, world, settings):
    response = dupont.get(COLLECTE, {"take": 10**9})
    assert response.status_code == 200 and len(response.json()["data"]) == 5


def test_get_apport_lists_the_drop_offs(dupont, world):
    rows = dupont.get("/Usager/Apport/GetApport", year_params(world["year"])).json()["data"]
    assert len(rows) == 1
    assert rows[0]["DATE_DONNEE"] == f"{world['year']}-07-20T18:00:00"
    assert rows[0]["ID_MATIERE"] == 5 and rows[0]["LIBELLE_ADRESSE"] == "PAV place de l'Église"


def test_the_monthly_lifts_count_each_month_of_the_period(dupont, world):
    months = dupont.get(
        "/Usager/Json/ObtenirStatistiqueLeveesMensuel", year_params(world["year"], idMatiere=1)
    ).json()
    assert [m["Nombre"] for m in months] == [1, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0]
    assert months[0]["Quantite"] == 10.5 and months[0]["Mois"] == 1


def test_the_collecte_page_offers_the_flux_of_the_logins_accounts(dupont, world):
    text = dupont.get("/Usager/Collecte").content.decode()
    assert '<select id="Filtres_IdMatiere" name="Filtres.IdMatiere">' in text
    assert '<option value="-1" selected>Tous les types de déchets</option>' in text
    for number, label in ((1, "Ordures ménagères"), (2, "Emballages recyclables"), (5, "Verre")):
        assert f'<option value="{number}">{label}</option>' in text
    assert 'value="4"' not in text  # no biodéchets there
    pilat = dupont.get("/pilat-rhodanien/Usager/Collecte").content.decode()
    assert 'value="2"' not in pilat and "3 RUE DU PILAT" in pilat


@pytest.mark.parametrize(
    "params, field",
    [
        ({"idMatiere": "abc"}, "idMatiere"),
        ({"idMatiere": "3"}, "idMatiere"),
        ({"dateDebut": "hier"}, "dateDebut"),
        ({"dateFin": "2025-13-45T00:00:00.000Z"}, "dateFin"),
        ({"dateDebut": "9999-12-31"}, "dateDebut"),
        ({"dateDebut": "2025-06-01", "dateFin": "2025-01-01"}, "__all__"),
        ({"skip": "-1"}, "skip"),
        ({"skip": "1" * 40}, "skip"),
        ({"take": "dix"}, "take"),
        ({"take": "-5"}, "take"),
        ({"requireTotalCount": "peut-être"}, "requireTotalCount"),
        ({"sort": "DATE_DONNEE"}, "sort"),
        ({"sort": '[{"selector":"PRIX","desc":false}]'}, "sort"),
        ({"sort": '[{"selector":"DATE_DONNEE","desc":"non"}]'}, "sort"),
    ],
)
def test_a_wrong_parameter_is_a_400_with_a_french_message(dupont, world, params, field):
    response = dupont.get(COLLECTE, params)
    assert response.status_code == 400
    body = response.json()
    assert field in body["erreurs"] and body["message"] == body["erreurs"][field][0]
    assert body["message"].endswith(".")


@pytest.mark.parametrize(
    "path", ["/Usager/Json/ObtenirStatistiqueLeveesMensuel", "/Usager/Apport/GetApport"]
)
def test_the_other_endpoints_refuse_wrong_parameters_too(dupont, world, path):
    response = dupont.get(path, {"dateDebut": "2025-01-01", "dateFin": "pas une date"})
    assert response.status_code == 400 and "dateFin" in response.json()["message"]


def test_a_statistic_over_too_many_months_is_refused(dupont, world):
    response = dupont.get(
        "/Usager/Json/ObtenirStatistiqueLeveesMensuel",
        {"dateDebut": "1900-01-01", "dateFin": "2100-12-31"},
    )
    assert response.status_code == 400 and "mois" in response.json()["message"]


@pytest.mark.parametrize("path", ENDPOINTS)
def test_each_call_costs_the_same_queries_however_many_lifts(dupont, world, path):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert dupont.get(path, {"take": 2}).status_code == 200
        return len(captured)

    before = queries()
    om = world["bins"]["ccfi_om"]
    for day in range(1, 29):
        lift(om, datetime.datetime(world["year"], 2, day, 6, 0, tzinfo=PARIS))
    make_bin(world["accounts"][0], chip="E0040009", flux=Flux.BIODECHETS)
    assert queries() == before


JUNK = ["", "0", "-1", "99999999999999999999", "%00", "<script>", "' OR 1=1 --", "é" * 300]
PARAMETERS = ["idMatiere", "dateDebut", "dateFin", "skip", "take", "sort", "requireTotalCount"]


@pytest.mark.parametrize("path", ENDPOINTS)
def test_no_junk_parameter_answers_500(dupont, world, path):
    for name in PARAMETERS:
        for junk in JUNK:
            response = dupont.get(f"{path}?{name}={junk}")
            assert response.status_code in (200, 400), (name, junk)
