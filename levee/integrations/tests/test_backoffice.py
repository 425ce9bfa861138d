"""« Clés d'API » and « Webhooks » in the back office: a secret is shown once, a key is
revoked after a confirmation, a webhook lists its deliveries; only the authority's own."""

from html import unescape

import pytest

from levee.agents.models import Agent
from levee.agents.roles import AgentRole
from levee.integrations.models import ApiKey, DeliveryStatus, WebhookDelivery, WebhookEndpoint
from levee.integrations.services import (
    api_key_check,
    api_key_create,
    webhook_endpoint_create,
    webhook_event_record,
)
from testkit import ccfi_world, make_user, pilat_world

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return unescape(response.content.decode())


@pytest.fixture
def admin(client):
    ccfi, _ = ccfi_world()
    user = make_user("admin@flandre.example.org")
    Agent.objects.create(authority=ccfi, user=user, role=AgentRole.ADMINISTRATEUR)
    client.force_login(user)
    return user


def test_a_new_key_is_shown_once_then_only_its_prefix(client, admin):
    response = client.post(
        "/backoffice/cles-api/",
        {"name": "Camions", "scopes": ["lifts:write", "dropoffs:write"], "expires_on": ""},
    )
    assert response.status_code == 302
    page = text(client.get("/backoffice/cles-api/"))
    key = ApiKey.objects.get()
    raw = page.split('id="secret-value" value="', 1)[1].split('"', 1)[0]
    assert "jamais" in page  # last use
    assert api_key_check(raw) == key
    assert "Envoyer des levées" in page and "Envoyer des apports" in page
    again = text(client.get("/backoffice/cles-api/"))
    assert raw not in again
    assert f"lvk_{key.prefix}_…" in again


def test_a_key_without_a_right_or_with_a_past_date_is_refused_next_to_its_field(client, admin):
    response = client.post(
        "/backoffice/cles-api/", {"name": "Camions", "scopes": [], "expires_on": "01/01/2020"}
    )
    assert response.status_code == 400
    page = text(response)
    assert "Choisissez au moins un droit." in page
    assert "Choisissez une date après aujourd'hui." in page
    assert 'aria-invalid="true"' in page
    assert not ApiKey.objects.exists()


def test_a_key_is_revoked_after_its_confirmation(client, admin):
    key, raw = api_key_create(
        authority=admin.agent_roles.get().authority,
        name="K",
        scopes=["lifts:write"],
        created_by=admin,
    )
    page = text(client.get(f"/backoffice/cles-api/{key.pk}/revoquer/"))
    assert "Révoquer la clé « K »" in page
    response = client.post(f"/backoffice/cles-api/{key.pk}/revoquer/", {})
    assert response.status_code == 400
    assert "Cochez la case pour confirmer la révocation." in text(response)
    key.refresh_from_db()
    assert key.revoked_at is None
    response = client.post(f"/backoffice/cles-api/{key.pk}/revoquer/", {"confirm": "on"})
    assert response.status_code == 302
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert "Révoquée le" in text(client.get("/backoffice/cles-api/"))


def test_another_authoritys_key_and_webhook_answer_404(client, admin):
    pilat, _ = pilat_world()
    other = make_user("admin@pilat.example.org")
    key, _ = api_key_create(authority=pilat, name="K", scopes=["lifts:write"], created_by=other)
    endpoint, _ = webhook_endpoint_create(
        authority=pilat, url="https://p.example.org/", events=["import.finished"], created_by=other
    )
    assert client.get(f"/backoffice/cles-api/{key.pk}/revoquer/").status_code == 404
    assert (
        client.post(f"/backoffice/cles-api/{key.pk}/revoquer/", {"confirm": "on"}).status_code
        == 404
    )
    assert client.get(f"/backoffice/webhooks/{endpoint.pk}/").status_code == 404
    assert client.post(f"/backoffice/webhooks/{endpoint.pk}/desactiver/").status_code == 404
    key.refresh_from_db()
    endpoint.refresh_from_db()
    assert key.revoked_at is None and endpoint.disabled_at is None
    assert "p.example.org" not in text(client.get("/backoffice/webhooks/"))


def test_a_webhook_shows_its_secret_once_and_lists_its_deliveries(client, admin):
    response = client.post(
        "/backoffice/webhooks/",
        {"url": "https://logiciel.example.org/levee", "events": ["payment.confirmed"]},
    )
    assert response.status_code == 302
    page = text(client.get("/backoffice/webhooks/"))
    endpoint = WebhookEndpoint.objects.get()
    assert f'value="{endpoint.secret}"' in page
    assert endpoint.secret not in text(client.get("/backoffice/webhooks/"))
    webhook_event_record(
        authority=endpoint.authority, event="payment.confirmed", payload={"invoice": "1"}
    )
    WebhookDelivery.objects.update(
        status=DeliveryStatus.PENDING, attempts=2, response_code=500, response_excerpt="boom"
    )
    page = text(client.get(f"/backoffice/webhooks/{endpoint.pk}/"))
    assert "Règlement confirmé" in page
    assert "HTTP 500" in page and "boom" in page
    assert "À envoyer" in page
    assert endpoint.secret not in page


def test_a_webhook_url_in_plain_http_is_refused_next_to_its_field(client, admin, settings):
    settings.WEBHOOK_ALLOW_LOOPBACK_HTTP = False
    response = client.post(
        "/backoffice/webhooks/", {"url": "http://logiciel.example.org/", "events": []}
    )
    assert response.status_code == 400
    page = text(response)
    assert "L'adresse doit commencer par https://" in page
    assert "Choisissez au moins un événement." in page
    assert not WebhookEndpoint.objects.exists()


def test_a_webhook_is_disabled(client, admin):
    endpoint, _ = webhook_endpoint_create(
        authority=admin.agent_roles.get().authority,
        url="https://a.example.org/",
        events=["import.finished"],
        created_by=admin,
    )
    assert client.post(f"/backoffice/webhooks/{endpoint.pk}/desactiver/").status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.disabled_at is not None
    assert "Désactiver ce webhook" not in text(client.get(f"/backoffice/webhooks/{endpoint.pk}/"))
