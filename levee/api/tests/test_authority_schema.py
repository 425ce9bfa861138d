"""schemathesis against the authorities' part of the OpenAPI document, with a key holding
every scope: no 5xx, no response outside what the document says."""

import hashlib

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from levee.api import authority
from levee.api.api import api
from levee.api.tests.test_schema import EXTREME_DAYS, date_parameters
from levee.integrations.models import ApiKey, Scope
from levee.lib import throttle
from testkit import ccfi_world, make_user

pytestmark = pytest.mark.django_db

schema = schemathesis.openapi.from_dict(api.get_openapi_schema()).include(
    path_regex=r"^/api/v1/authority/"
)
schema.app = get_wsgi_application()
PREFIX = "5c4e3a7d"
SECRET = f"lvk_{PREFIX}_schemathesis-schemathesis"


@schema.auth(refresh_interval=None)
class AuthorityKey:
    def get(self, case, ctx):
        return SECRET

    def set(self, case, data, ctx):
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


@pytest.fixture
def key(monkeypatch):
    # As Django's test client does: the WSGI handler's request signals would close the
    # test's database connection (PostgreSQL keeps connections) and its transaction with it.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    monkeypatch.setattr(authority, "KEY_CALLS", throttle.Limit("api-key-schema", 10_000, 60))
    ccfi, _ = ccfi_world()
    yield ApiKey.objects.create(
        authority=ccfi,
        name="schemathesis",
        prefix=PREFIX,
        secret_hash=hashlib.sha256(SECRET.encode()).hexdigest(),
        scopes=Scope.values,
        created_by=make_user("admin@flandre.example.org"),
    )
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=8, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_the_authority_endpoints_answer_as_their_document_says(case, key):
    if case.query:
        case.query.pop("curseur", None)  # opaque: only one the API gave is valid
    response = case.call()
    case.validate_response(response)
    assert response.status_code < 500


@pytest.mark.parametrize("path,parameter", date_parameters("/api/v1/authority/"))
@pytest.mark.parametrize("day", EXTREME_DAYS)
def test_the_calendar_edges_answer_in_every_authority_date_parameter(
    client, key, path, parameter, day
):
    response = client.get(path, {parameter: day}, HTTP_AUTHORIZATION=f"Bearer {SECRET}")
    assert response.status_code == 200, response.content
