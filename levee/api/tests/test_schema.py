"""The OpenAPI document holds: a valid OpenAPI 3 document, and schemathesis, generating
requests from it against the WSGI application with a valid token, finds no 5xx and no
response outside what the document says (status, content type, headers, body). A few
examples per operation keep it under a minute."""

import hashlib

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from levee.api import auth
from levee.api.api import api
from levee.lib import throttle
from levee.tokens.models import PersonalAccessToken

pytestmark = pytest.mark.django_db

RESIDENT_PATHS = r"^/api/v1/(me|accounts)"

schema = schemathesis.openapi.from_dict(api.get_openapi_schema()).include(path_regex=RESIDENT_PATHS)
# As `from_wsgi` does, without a request at import time: every call, the checks' probes
# included, goes to the WSGI application in this process (its test database).
schema.app = get_wsgi_application()
# A token whose secret the requests know before the test's world exists (schemathesis sets
# the auth while it generates a case): each test's world stores it for its owner.
SECRET = "levee_" + "schemathesis-" * 3


@schema.auth(refresh_interval=None)
class ResidentToken:
    def get(self, case, ctx):
        return SECRET

    def set(self, case, data, ctx):
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


def test_the_document_is_valid_openapi():
    # schemathesis checks it against the OpenAPI 3 meta-schema (raises when it breaks it).
    document = schemathesis.openapi.from_dict(api.get_openapi_schema())
    document.validate()
    assert document.raw_schema["openapi"].startswith("3.")


def test_a_broken_document_is_seen():
    broken = {**api.get_openapi_schema(), "paths": {"/x": {"get": {"responses": 7}}}}
    with pytest.raises(Exception):  # noqa: B017 (jsonschema_rs's error, whatever its class)
        schemathesis.openapi.from_dict(broken).validate()


def test_the_document_lists_every_resident_endpoint():
    paths = api.get_openapi_schema()["paths"]
    for path in [
        "/api/v1/me",
        "/api/v1/accounts",
        "/api/v1/accounts/{account_id}/bins",
        "/api/v1/accounts/{account_id}/lifts",
        "/api/v1/accounts/{account_id}/dropoffs",
        "/api/v1/accounts/{account_id}/statistics/monthly",
        "/api/v1/accounts/{account_id}/invoices",
        "/api/v1/accounts/{account_id}/invoices/{invoice_id}/pdf",
        "/api/v1/accounts/{account_id}/requests",
        "/api/v1/accounts/{account_id}/collections",
    ]:
        assert set(paths[path]) == {"get"}, path
        assert "FR" in paths[path]["get"]["description"]


@pytest.fixture
def generous(monkeypatch, world):
    # As Django's test client does: the WSGI handler's request signals would close the
    # test's database connection (PostgreSQL keeps connections) and its transaction with it.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    monkeypatch.setattr(auth, "TOKEN_CALLS", throttle.Limit("api-token-schema", 10_000, 60))
    PersonalAccessToken.objects.create(
        user=world.owner,
        name="schemathesis",
        prefix=SECRET[:12],
        digest=hashlib.sha256(SECRET.encode()).hexdigest(),
    )
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=6,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_the_resident_endpoints_answer_as_their_document_says(case, world, generous):
    # Most examples read the owner's own account and invoice, the others whatever ids
    # were generated (a 404, which the document lists too).
    if "account_id" in case.path_parameters and hash(repr(case.query)) % 4:
        case.path_parameters["account_id"] = world.account.pk
        if "invoice_id" in case.path_parameters:
            case.path_parameters["invoice_id"] = world.invoice.pk
    # A cursor is opaque: only one the API gave is valid, which no schema can describe, and
    # made-up ones are refused with a 422 (test_parameters.py).
    if case.query:
        case.query.pop("curseur", None)
    response = case.call()
    case.validate_response(response)
    assert response.status_code < 500


def date_parameters(prefix: str) -> list[tuple[str, str]]:
    """Every (path, parameter) of the document under `prefix` that is a date: the calendar's
    edges are tried on each, which hypothesis's few examples rarely reach."""
    found = []
    for path, operations in api.get_openapi_schema()["paths"].items():
        if not path.startswith(prefix):
            continue
        for parameter in operations.get("get", {}).get("parameters", []):
            schema_ = parameter["schema"]
            if "date" in {s.get("format") for s in [schema_, *schema_.get("anyOf", [])]}:
                found.append((path, parameter["name"]))
    return found


EXTREME_DAYS = ["0001-01-01", "0001-01-02", "9999-12-30", "9999-12-31"]
RESIDENT_DATES = date_parameters("/api/v1/accounts")


def test_the_resident_date_parameters_are_found():
    assert ("/api/v1/accounts/{account_id}/lifts", "jusqu_au") in RESIDENT_DATES
    assert len(RESIDENT_DATES) >= 8


@pytest.mark.parametrize("path,parameter", RESIDENT_DATES)
@pytest.mark.parametrize("day", EXTREME_DAYS)
def test_the_calendar_edges_answer_in_every_resident_date_parameter(
    client, world, path, parameter, day
):
    url = path.replace("{account_id}", str(world.account.pk))
    response = client.get(url, {parameter: day}, HTTP_AUTHORIZATION=f"Bearer {world.token}")
    assert response.status_code == 200, response.content
    everything = client.get(
        url,
        {"depuis": "0001-01-01", "jusqu_au": "9999-12-31"},
        HTTP_AUTHORIZATION=f"Bearer {world.token}",
    )
    assert everything.status_code == 200
    assert (
        everything.json()["items"]
        == client.get(url, HTTP_AUTHORIZATION=f"Bearer {world.token}").json()["items"]
    )
