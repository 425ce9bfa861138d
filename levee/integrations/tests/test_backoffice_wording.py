"""The back office's words about keys and webhooks agree with what they name."""

import datetime

import pytest
from django.utils import timezone

from levee.collection.tests.conftest import make_bin
from levee.integrations.models import ApiKey, DeliveryStatus, WebhookDelivery
from levee.integrations.services import (
    api_key_create,
    webhook_endpoint_create,
    webhook_event_record,
)
from levee.integrations.tests.test_backoffice import admin, text  # noqa: F401 (a fixture)
from levee.subscribers.models import Account
from levee.tokens.forms import TokenCreateForm

pytestmark = pytest.mark.django_db


def test_a_new_key_s_warning_speaks_of_it_in_the_feminine(client, admin):  # noqa: F811
    client.post(
        "/backoffice/cles-api/", {"name": "Camions", "scopes": ["lifts:write"], "expires_on": ""}
    )
    page = text(client.get("/backoffice/cles-api/"))
    assert (
        "Copiez-la maintenant et gardez-la en lieu sûr : elle ne sera plus jamais affichée." in page
    )
    assert "Si vous la perdez, révoquez-la" in page
    assert "Copiez-le" not in page


def test_a_webhook_s_secret_is_spoken_of_in_the_masculine(client, admin):  # noqa: F811
    client.post(
        "/backoffice/webhooks/",
        {"url": "https://logiciel.example.org/levee", "events": ["payment.confirmed"]},
    )
    page = text(client.get("/backoffice/webhooks/"))
    assert "Copiez-le maintenant et gardez-le en lieu sûr : il ne sera plus jamais affiché." in page
    assert "Si vous le perdez, désactivez ce webhook" in page


def test_the_webhook_address_hint_mentions_plain_http_only_where_it_is_allowed(
    client,
    admin,  # noqa: F811
    settings,
):
    settings.WEBHOOK_ALLOW_LOOPBACK_HTTP = False
    page = text(client.get("/backoffice/webhooks/"))
    assert "commençant par https://." in page and "127.0.0.1" not in page
    settings.WEBHOOK_ALLOW_LOOPBACK_HTTP = True
    page = text(client.get("/backoffice/webhooks/"))
    assert "(ou http:// pour un récepteur sur cette machine : 127.0.0.1, ::1 ou localhost)" in page


def test_what_waited_for_a_disabled_webhook_says_it_will_not_be_sent(client, admin):  # noqa: F811
    endpoint, _ = webhook_endpoint_create(
        authority=admin.agent_roles.get().authority,
        url="https://a.example.org/",
        events=["payment.confirmed"],
        created_by=admin,
    )
    webhook_event_record(authority=endpoint.authority, event="payment.confirmed", payload={})
    WebhookDelivery.objects.update(status=DeliveryStatus.PENDING, attempts=1)
    assert "À envoyer" in text(client.get(f"/backoffice/webhooks/{endpoint.pk}/"))
    client.post(f"/backoffice/webhooks/{endpoint.pk}/desactiver/")
    page = text(client.get(f"/backoffice/webhooks/{endpoint.pk}/"))
    assert "Annulé : webhook désactivé" in page
    assert "À envoyer" not in page and "prochaine tentative" not in page


def test_a_key_s_expiry_is_its_last_day_included_as_a_token_s(client, admin):  # noqa: F811
    page = text(client.get("/backoffice/cles-api/"))
    assert "Le dernier jour où la clé fonctionne (inclus)" in page
    day = timezone.localdate() + datetime.timedelta(days=3)
    client.post(
        "/backoffice/cles-api/",
        {"name": "Camions", "scopes": ["lifts:write"], "expires_on": day.strftime("%d/%m/%Y")},
    )
    key = ApiKey.objects.get()
    assert timezone.localtime(key.expires_at) == timezone.make_aware(
        datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min)
    )
    assert key.last_valid_day == day
    page = text(client.get("/backoffice/cles-api/"))
    assert f"Active, jusqu'au {day:%d/%m/%Y} inclus" in page
    token_hint = TokenCreateForm().fields["expires_on"].help_text
    assert token_hint.startswith("Le dernier jour où le jeton fonctionne (inclus).")


def test_an_api_push_is_listed_in_imports_by_its_key_and_its_creator(client, admin):  # noqa: F811
    authority = admin.agent_roles.get().authority
    make_bin(Account.objects.get(authority=authority), chip="E0040001")
    _, secret = api_key_create(
        authority=authority, name="Camions", scopes=["lifts:write"], created_by=admin
    )
    item = {"horodatage": "2026-01-05 06:30", "puce": "E0040001", "poids_kg": 12.5}
    pushed = client.post(
        "/api/v1/authority/lifts",
        {"items": [item]},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert pushed.status_code == 200
    who = "Clé API Camions (créée par admin@flandre.example.org)"
    listing = text(client.get("/backoffice/imports/"))
    assert who in listing and "commande" not in listing
    detail = text(client.get(f"/backoffice/imports/{pushed.json()['import_id']}/"))
    assert f"par {who}" in detail
    assert "(commande)" not in detail and "Taille du fichier" not in detail
