"""A NUL in the query string of an Ecocito JSON path: the 400 JSON of a bad parameter,
which its clients read, not the HTML error page."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path",
    [
        "/Usager/Collecte/GetCollecte",
        "/Usager/Apport/GetApport",
        "/Usager/Json/ObtenirStatistiqueLeveesMensuel",
        "/flandre-interieure/Usager/Json/ObtenirStatistiqueApportPAVMensuel",
    ],
)
def test_a_nul_in_a_json_path_s_parameter_is_answered_in_json(client, path):
    response = client.get(path, {"take": "10", "dateDebut": "2025\x00"})
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert "caractère nul" in body["message"]
    assert list(body["erreurs"]) == ["dateDebut"]


def test_a_nul_on_a_page_still_gets_the_error_page(client):
    response = client.get("/Usager/Collecte", {"x": "\x00"})
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
