"""The README's walk-through on the demo: the CCFI agent's key pushes two lifts (one of
Marie Martin's household-waste bin, one of an unknown chip) and the first appears in her
« Mes bacs/levées »."""

import datetime

import pytest
from django.utils import timezone

from levee.accounts.models import User
from levee.collection.models import Bin, Lift
from levee.integrations.services import api_key_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(demo_world, db):
    return demo_world


def test_an_agents_key_pushes_lifts_that_appear_in_the_households_page(client, demo):
    agent = User.objects.get(email="agent.flandre@example.org")
    authority = agent.agent_roles.get().authority
    _, key = api_key_create(
        authority=authority, name="Camions", scopes=["lifts:write"], created_by=agent
    )
    chip_bin = Bin.objects.get(authority=authority, chip_number="E00240000021")  # the README's
    assert chip_bin.account.code == "00002"  # Marie Martin
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    response = client.post(
        "/api/v1/authority/lifts",
        {
            "items": [
                {"horodatage": f"{yesterday} 06:30", "puce": "E00240000021", "poids_kg": 14.2},
                {"horodatage": f"{yesterday} 06:31", "puce": "INCONNUE", "poids_kg": 9},
            ]
        },
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    body = response.json()
    assert (body["imported"], body["rejected"]) == (1, 1), body
    assert body["results"][1]["reason"].startswith("bac inconnu")
    lift = Lift.objects.get(bin=chip_bin, lifted_at__date=yesterday, net_weight_grams=14_200)
    client.force_login(User.objects.get(email="marie.martin@example.org"))
    page = client.get(
        f"/{authority.slug}/espace/mes-bacs-levees/", {"annee": yesterday.year}
    ).content.decode()
    assert f"{yesterday:%d/%m/%Y} 06:30" in page or f"{yesterday:%d/%m/%Y} à 06:30" in page
    assert lift.import_batch.filename == "API, clé « Camions »"
