"""The back office's words about keys and webhooks agree with what they name."""

import datetime

import pytest
from django.utils import timezone

from levee.integrations.models import ApiKey, DeliveryStatus, WebhookDelivery
from levee.integrations.services import webhook_endpoint_create, webhook_event_record
from levee.integrations.tests.test_backoffice import admin, text  # noqa: F401 (a fixture)
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
