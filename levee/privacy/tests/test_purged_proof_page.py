"""The agent's page of an opening request whose proof the daily job deleted says so,
rather than showing a broken frame."""

import pytest

from levee.accounts.models import OpeningStatus
from levee.agents.models import Agent
from levee.privacy.services import privacy_purge
from testkit import make_opening_request, make_user, pilat_world

from .conftest import ago

pytestmark = pytest.mark.django_db


def test_the_page_says_the_proof_was_deleted(client, settings, django_capture_on_commit_callbacks):
    settings.PRIVACY_DOCUMENT_DAYS = 30
    authority, pelussin = pilat_world()
    agent = make_user("agent.pilat@example.org")
    Agent.objects.create(authority=authority, user=agent)
    opening = make_opening_request(
        authority,
        pelussin,
        make_user("paul.martin@example.org"),
        status=OpeningStatus.ACCEPTED,
        decided_at=ago(days=31),
    )
    client.force_login(agent)
    before = client.get(f"/backoffice/ouvertures/{opening.pk}/").content.decode()
    assert "Ouvrir le justificatif" in before and "Justificatif supprimé" not in before

    with django_capture_on_commit_callbacks(execute=True):
        privacy_purge()

    after = client.get(f"/backoffice/ouvertures/{opening.pk}/").content.decode()
    assert "Justificatif supprimé" in after
    assert "Ouvrir le justificatif" not in after and "proof-frame" not in after
    assert client.get(f"/backoffice/ouvertures/{opening.pk}/justificatif/").status_code == 404
