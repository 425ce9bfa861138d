"""« Données personnelles » states the durations the daily purge applies, from the
settings."""

import pytest

from .conftest import text

pytestmark = pytest.mark.django_db


def test_the_page_states_the_durations_of_the_settings(client, world, settings):
    settings.PRIVACY_DOCUMENT_DAYS = 180
    settings.PRIVACY_CONNECTION_DAYS = 365
    settings.PRIVACY_UNACTIVATED_DAYS = 7
    settings.PRIVACY_OUTBOX_DAYS = 1
    page = text(client.get("/flandre-interieure/donnees-personnelles/"))
    assert "Durées de conservation appliquées par le portail" in page
    assert (
        "pièces jointes des demandes (justificatifs, photos, documents joints aux messages), 180 jours après le traitement de la demande"
        in page
    )
    assert "(date, adresse IP, navigateur), après 365 jours" in page
    assert "jamais été confirmée, après 7 jours, sauf si une demande d'ouverture" in page
    assert "(liens compris), 1 jour après leur envoi" in page
    assert "« Télécharger mes données »" in page and "« Supprimer mon identifiant »" in page
