from urllib.parse import urlsplit

import pytest
import requests
from django.core.cache import cache

from .fake_provider import CLIENT_ID, CLIENT_SECRET, FakeProvider


@pytest.fixture(scope="session")
def fake_provider_server():
    provider = FakeProvider().start()
    yield provider
    provider.stop()


@pytest.fixture
def fake_fc(fake_provider_server, settings):
    """FranceConnect set to the fake provider (the imitation off)."""
    fake_provider_server.reset()
    settings.IDENTITY_SIMULATION = False
    settings.FRANCECONNECT_CLIENT_ID = CLIENT_ID
    settings.FRANCECONNECT_CLIENT_SECRET = CLIENT_SECRET
    settings.FRANCECONNECT_ISSUER = fake_provider_server.issuer
    settings.PROCONNECT_CLIENT_ID = ""
    settings.PROCONNECT_ISSUER = ""
    cache.delete_many(
        [
            f"identity:metadata:{fake_provider_server.issuer}",
            f"identity:jwks:{fake_provider_server.issuer}/jwks",
        ]
    )
    return fake_provider_server


@pytest.fixture
def fake_pc(fake_provider_server, settings):
    """ProConnect set to the fake provider (the imitation off)."""
    fake_provider_server.reset()
    fake_provider_server.identity = {
        "sub": "pc-sub-claire",
        "given_name": "Claire",
        "usual_name": "Verhaeghe",
        "email": "agent.flandre@example.org",
    }
    fake_provider_server.amr = ["pwd", "totp", "mfa"]
    settings.IDENTITY_SIMULATION = False
    settings.FRANCECONNECT_CLIENT_ID = ""
    settings.FRANCECONNECT_ISSUER = ""
    settings.PROCONNECT_CLIENT_ID = CLIENT_ID
    settings.PROCONNECT_CLIENT_SECRET = CLIENT_SECRET
    settings.PROCONNECT_ISSUER = fake_provider_server.issuer
    cache.delete_many(
        [
            f"identity:metadata:{fake_provider_server.issuer}",
            f"identity:jwks:{fake_provider_server.issuer}/jwks",
        ]
    )
    return fake_provider_server


def through_provider(client, start_url: str, data=None):
    """Clicks the button (POST `start_url`), lets the provider answer the authorization
    request, and follows its redirect back to Levée: the callback's response."""
    response = client.post(start_url, data or {})
    assert response.status_code == 302, response
    back = provider_answer(response["Location"])
    return client.get(back)


def provider_answer(authorize_url: str) -> str:
    """The path and query Levée's callback receives from the provider."""
    answer = requests.get(authorize_url, allow_redirects=False, timeout=5)
    assert answer.status_code == 302
    back = urlsplit(answer.headers["Location"])
    return f"{back.path}?{back.query}"
