"""The back office's words about keys and webhooks agree with what they name."""

import pytest

from levee.integrations.tests.test_backoffice import admin, text  # noqa: F401 (a fixture)

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
