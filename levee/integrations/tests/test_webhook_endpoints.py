import pytest

from levee.integrations.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from levee.integrations.services import (
    IntegrationRefused,
    webhook_endpoint_create,
    webhook_endpoint_disable,
    webhook_event_record,
    webhook_url_problem,
)
from testkit import ccfi_world, make_user, pilat_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    ccfi, _ = ccfi_world()
    return ccfi, make_user("admin@flandre.example.org")


@pytest.mark.parametrize(
    "url, allowed",
    [
        ("https://logiciel.example.org/levee", True),
        ("http://logiciel.example.org/levee", False),
        ("http://127.0.0.1:8123/hook", True),
        ("http://[::1]:8123/hook", True),
        ("http://localhost/hook", True),
        ("https://user:secret@logiciel.example.org/", False),
        ("ftp://logiciel.example.org/", False),
        ("logiciel.example.org", False),
        ("https://10.0.0.1/hook", False),
        ("https://192.168.1.20/hook", False),
        ("https://169.254.169.254/latest/meta-data/", False),
        ("https://[fd00::1]/hook", False),
        ("https://0.0.0.0/hook", False),
        ("https://8.8.8.8/hook", True),
    ],
)
def test_only_https_is_allowed_and_plain_http_on_the_loopback_when_set(settings, url, allowed):
    settings.WEBHOOK_ALLOW_LOOPBACK_HTTP = True
    assert (webhook_url_problem(url) is None) is allowed


def test_the_machine_itself_is_refused_when_not_set(settings):
    settings.WEBHOOK_ALLOW_LOOPBACK_HTTP = False
    for url in ("http://127.0.0.1:8123/hook", "https://127.0.0.1/hook", "https://localhost/"):
        assert "réseau interne" in webhook_url_problem(url)


def test_an_endpoint_gets_a_secret_and_refuses_an_unknown_event(world, settings):
    settings.WEBHOOK_ALLOW_LOOPBACK_HTTP = False
    ccfi, admin = world
    endpoint, secret = webhook_endpoint_create(
        authority=ccfi,
        url="https://logiciel.example.org/levee",
        events=[WebhookEvent.PAYMENT_CONFIRMED],
        created_by=admin,
    )
    assert secret.startswith("whsec_") and endpoint.secret == secret
    with pytest.raises(IntegrationRefused, match="au moins un événement"):
        webhook_endpoint_create(
            authority=ccfi, url="https://a.example.org/", events=["nope"], created_by=admin
        )
    with pytest.raises(IntegrationRefused, match="https://"):
        webhook_endpoint_create(
            authority=ccfi,
            url="http://a.example.org/",
            events=[WebhookEvent.PAYMENT_CONFIRMED],
            created_by=admin,
        )
    assert WebhookEndpoint.objects.count() == 1


def test_an_event_goes_to_the_active_endpoints_of_its_authority_that_chose_it(world):
    ccfi, admin = world
    pilat, _ = pilat_world()
    chose, _ = webhook_endpoint_create(
        authority=ccfi,
        url="https://a.example.org/",
        events=[WebhookEvent.PAYMENT_CONFIRMED, WebhookEvent.REQUEST_CREATED],
        created_by=admin,
    )
    webhook_endpoint_create(
        authority=ccfi,
        url="https://b.example.org/",
        events=[WebhookEvent.REQUEST_CREATED],
        created_by=admin,
    )
    disabled, _ = webhook_endpoint_create(
        authority=ccfi,
        url="https://c.example.org/",
        events=[WebhookEvent.PAYMENT_CONFIRMED],
        created_by=admin,
    )
    webhook_endpoint_disable(endpoint=disabled, by=admin)
    webhook_endpoint_create(
        authority=pilat,
        url="https://d.example.org/",
        events=[WebhookEvent.PAYMENT_CONFIRMED],
        created_by=admin,
    )
    webhook_event_record(authority=ccfi, event=WebhookEvent.PAYMENT_CONFIRMED, payload={"a": 1})
    delivery = WebhookDelivery.objects.get()
    assert delivery.endpoint == chose
    assert delivery.payload["event"] == "payment.confirmed"
    assert delivery.payload["data"] == {"a": 1}
    assert delivery.payload["id"] == str(delivery.event_id)


def test_one_event_id_is_stored_once_per_endpoint(world):
    ccfi, admin = world
    webhook_endpoint_create(
        authority=ccfi,
        url="https://a.example.org/",
        events=[WebhookEvent.IMPORT_FINISHED],
        created_by=admin,
    )
    first = webhook_event_record(authority=ccfi, event=WebhookEvent.IMPORT_FINISHED, payload={})
    webhook_event_record(
        authority=ccfi,
        event=WebhookEvent.IMPORT_FINISHED,
        payload={},
        event_id=first[0].event_id,
    )
    assert WebhookDelivery.objects.count() == 1
