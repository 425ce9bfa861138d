"""Bad parameters get a 422 in JSON that names the parameter, in French; a page costs the
same queries whatever its size and depth; too many calls get a 429 with Retry-After."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from levee.api import auth
from levee.lib import throttle

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "params, field, words",
    [
        ({"flux": "plastique"}, "flux", "Valeur inconnue"),
        ({"depuis": "31/01/2025"}, "depuis", "AAAA-MM-JJ"),
        ({"depuis": "0"}, "depuis", "AAAA-MM-JJ"),
        ({"depuis": "2025-01-01T00:00"}, "depuis", "AAAA-MM-JJ"),
        ({"jusqu_au": "2025-02-30"}, "jusqu_au", "AAAA-MM-JJ"),
        ({"depuis": "2025-02-01", "jusqu_au": "2025-01-01"}, "jusqu_au", "précède"),
        ({"limite": "0"}, "limite", "au moins 1"),
        ({"limite": "100000"}, "limite", "au plus 500"),
        ({"limite": "beaucoup"}, "limite", "nombre entier"),
        ({"curseur": "pas-un-curseur"}, "curseur", "next_cursor"),
        ({"curseur": "WyIyMDI1LTAxLTAxIiwgIngiXQ"}, "curseur", "next_cursor"),
    ],
)
def test_a_bad_parameter_is_a_422_in_french_naming_it(world, api_get, params, field, words):
    response = api_get(f"/api/v1/accounts/{world.account.pk}/lifts", token=world.token, **params)
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid_parameter"
    assert f"« {field} »" in body["message"] and words in body["message"]


def test_a_validation_error_lists_each_field(world, api_get):
    response = api_get(
        f"/api/v1/accounts/{world.account.pk}/lifts", token=world.token, flux="x", limite="y"
    )
    body = response.json()
    assert body["field"] == "flux"
    assert {e["field"] for e in body["errors"]} == {"flux", "limite"}


def test_a_non_numeric_account_id_is_a_422(world, api_get):
    response = api_get("/api/v1/accounts/abc/lifts", token=world.token)
    assert response.status_code == 422
    assert response.json()["field"] == "account_id"


def test_a_bad_year_is_refused(world, api_get):
    path = f"/api/v1/accounts/{world.account.pk}/statistics/monthly"
    response = api_get(path, token=world.token, annee="1900")
    assert response.status_code == 422 and "« annee »" in response.json()["message"]


def _queries(api_get, path, token, **params):
    with CaptureQueriesContext(connection) as captured:
        response = api_get(path, token=token, **params)
    assert response.status_code == 200
    return len(captured), response.json()


@pytest.mark.parametrize("what", ["lifts", "dropoffs", "invoices", "requests"])
def test_a_page_costs_the_same_queries_whatever_its_size_and_depth(world, api_get, what):
    path = f"/api/v1/accounts/{world.account.pk}/{what}"
    api_get(path, token=world.token)  # the token's last use, written once a minute
    small, first = _queries(api_get, path, world.token, limite=2)
    large, _ = _queries(api_get, path, world.token, limite=500)
    assert small == large
    if first["next_cursor"]:
        deeper, _ = _queries(api_get, path, world.token, limite=2, curseur=first["next_cursor"])
        assert deeper == small
    # The token, the throttle's count (6 on the database cache, 2 on Redis), the login's
    # accounts, the page.
    assert small <= 9


def test_too_many_calls_get_a_429_with_retry_after(world, api_get, monkeypatch):
    monkeypatch.setattr(auth, "TOKEN_CALLS", throttle.Limit("api-token-test", 3, 60))
    statuses = [api_get("/api/v1/me", token=world.token).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = api_get("/api/v1/me", token=world.token)
    assert response.json()["code"] == "too_many_requests"
    assert 1 <= int(response["Retry-After"]) <= 60
    # Each token has its own count.
    assert api_get("/api/v1/me", token=world.other_token).status_code == 200
