"""The API's answers to requests it cannot serve: each a documented `code` and a French
message saying what is wrong."""

import pytest

from levee.api.tests.test_authority import World, call

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    return World()


@pytest.mark.parametrize(
    "body,content_type",
    [
        (b"{", "application/json"),
        (b'{"items": ["\xff\xfe"]}', "application/json"),
        (b"items=1", "application/x-www-form-urlencoded"),
    ],
)
def test_a_body_that_is_not_json_is_named_so(client, w, body, content_type):
    response = client.post(
        "/api/v1/authority/lifts",
        body,
        content_type=content_type,
        HTTP_AUTHORIZATION=f"Bearer {w.key}",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_json"
    assert "n'est pas du JSON valide" in response.json()["message"]


def test_a_method_an_address_does_not_take_is_named_with_those_it_takes(client, w):
    response = client.get("/api/v1/authority/lifts", HTTP_AUTHORIZATION=f"Bearer {w.key}")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
    assert response.json()["message"] == (
        "Méthode GET non permise à cette adresse, qui n'accepte que POST."
    )
    assert response["Allow"] == "POST"
    resident = client.delete("/api/v1/me")
    assert resident.json()["message"].endswith("qui n'accepte que GET.")


def test_an_unknown_flux_is_refused_in_french(world, api_get):
    response = api_get(
        f"/api/v1/accounts/{world.account.pk}/lifts", token=world.token, flux="plastique"
    )
    assert response.status_code == 422
    message = response.json()["errors"][0]["message"]
    assert message.startswith("Valeur inconnue. Valeurs possibles : 'ordures_menageres', ")
    assert "' ou '" in message and " or " not in message


def test_a_cell_of_the_wrong_type_is_named_by_its_field_and_says_what_it_may_be(client, w):
    response = call(
        client, "post", "/authority/lifts", w.key, json={"items": [{"puce": True, "x": "1"}]}
    )
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert errors == [
        {"field": "items.0.puce", "message": "Indiquez un texte ou un nombre."},
        {"field": "items.0.x", "message": "Champ inconnu."},
    ]
    assert response.json()["field"] == "items.0.puce"


@pytest.mark.parametrize(
    "path",
    ["/api/v1/me", "/api/v1/authority/requests", "/api/v1/nulle-part", "/api/v1/openapi.json"],
)
def test_a_nul_in_the_query_string_is_an_invalid_parameter_in_json(client, path):
    response = client.get(path, {"limite": "1\x00"})
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_parameter"
    assert response.json()["field"] == "limite"
    assert "caractère nul" in response.json()["message"]


@pytest.mark.parametrize(
    "path", ["/authority/lifts", "/authority/dropoffs", "/authority/subscribers"]
)
def test_a_key_without_the_scope_is_refused_before_its_body_is_read(client, w, path):
    response = call(client, "post", path, w.reader_key, json={"items": [{"inconnu": True}]})
    assert response.status_code == 403
    assert response.json()["code"] == "scope_missing"


@pytest.mark.parametrize(
    "weight,reason",
    [
        (1e308, "poids supérieur à 2 000 kg"),
        (10_000_000_000, "poids supérieur à 2 000 kg"),
        (1e-07, "3 décimales au plus"),
    ],
)
def test_a_huge_weight_is_too_heavy_as_in_the_csv_import(client, w, weight, reason):
    item = {"horodatage": "2026-01-05 06:30", "puce": "E0040001", "poids_kg": weight}
    response = call(client, "post", "/authority/lifts", w.key, json={"items": [item]})
    assert response.status_code == 200
    assert reason in response.json()["results"][0]["reason"]


def test_a_json_infinity_is_no_weight(client, w):
    response = client.post(
        "/api/v1/authority/lifts",
        '{"items": [{"horodatage": "2026-01-05 06:30", "puce": "E0040001", "poids_kg": Infinity}]}',
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {w.key}",
    )
    assert response.status_code < 500
