"""What every endpoint shares: JSON errors in French with a stable code, the OpenAPI
document, the documentation page."""

import pytest
from django.conf import settings

from levee.api.api import api

pytestmark = pytest.mark.django_db


def test_a_call_without_token_is_refused_in_json(world, api_get):
    response = api_get("/api/v1/me")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"
    assert "Authorization: Bearer" in response.json()["message"]
    assert response["WWW-Authenticate"] == "Bearer"


def test_a_wrong_token_is_refused(world, api_get):
    assert api_get("/api/v1/me", token="levee_nimportequoi").status_code == 401
    assert api_get("/api/v1/me", token=world.token + "x").status_code == 401


def test_me_names_the_login_and_its_accounts(world, api_get):
    response = api_get("/api/v1/me", token=world.token)
    assert response.status_code == 200
    body = response.json()
    assert body["email"] == "dupont59@gmail.com"
    assert body["token_name"] == "Domotique"
    assert [a["code"] for a in body["accounts"]] == ["00001", "10042"]
    assert body["accounts"][0]["authority"]["slug"] == "flandre-interieure"


def test_a_write_method_is_refused_with_a_json_405(world, client):
    response = client.post("/api/v1/me", headers={"Authorization": f"Bearer {world.token}"})
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
    assert response["Allow"] == "GET"


def test_an_unknown_path_is_a_json_404(world, api_get):
    response = api_get("/api/v1/nulle-part", token=world.token)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_the_openapi_document_is_published(client):
    document = client.get("/api/v1/openapi.json").json()
    assert document["openapi"].startswith("3.")
    assert "/api/v1/me" in document["paths"]
    assert "FR" in document["info"]["description"] and "EN" in document["info"]["description"]


def test_the_docs_page_lists_the_endpoints_without_loading_anything_from_elsewhere(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "GET /api/v1/me" in html
    assert "cdn" not in html.lower()
    assert "<script" not in html


def test_the_api_root_leads_to_the_docs(client):
    response = client.get("/api/v1/")
    assert response.status_code == 302
    assert response["Location"] == "/api/v1/docs"


def test_the_docs_page_shows_the_descriptions_markdown_as_html_and_escapes_the_rest(client):
    html = client.get("/api/v1/docs").content.decode()
    assert "<strong>FR</strong>" in html and "**FR**" not in html
    assert "<code>Authorization: Bearer &lt;jeton&gt;</code>" in html


def test_the_document_describes_both_parts_in_both_languages(client):
    description = client.get("/api/v1/openapi.json").json()["info"]["description"]
    french, english = description.split("**EN**")
    assert "/api/v1/authority/" in french and "clé d'API" in french
    assert "/api/v1/authority/" in english and "API key" in english


def test_the_readme_lists_every_resident_path():
    readme = (settings.BASE_DIR / "README.md").read_text()
    for path in api.get_openapi_schema()["paths"]:
        if path.startswith(("/api/v1/me", "/api/v1/accounts")):
            shown = path.replace("{account_id}", "{id}").replace("{invoice_id}", "{invoice}")
            assert f"| `{shown}` |" in readme, path
