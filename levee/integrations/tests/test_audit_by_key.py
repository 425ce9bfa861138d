"""An entry written by an authority's software through its API key names the key and the
administrator who created it, in the Journal, its CSV and an account's page."""

import pytest
from django.db import IntegrityError

from levee.agents.models import Agent
from levee.agents.roles import AgentRole
from levee.audit.services import audit_write
from levee.integrations.services import api_key_create
from testkit import ccfi_world, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    ccfi, account = ccfi_world()
    admin = make_user("admin@flandre.example.org")
    admin.first_name, admin.last_name = "Pierrick", "Dupont"
    admin.save(update_fields=["first_name", "last_name"])
    Agent.objects.create(authority=ccfi, user=admin, role=AgentRole.ADMINISTRATEUR)
    key, _ = api_key_create(
        authority=ccfi, name="Camions", scopes=["lifts:write"], created_by=admin
    )
    return ccfi, account, admin, key


def test_the_journal_names_the_key_and_its_creator(client, world):
    ccfi, account, admin, key = world
    audit_write(
        authority=ccfi,
        api_key=key,
        action="account.plan_set",
        obj=account,
        before={"plan": "bac"},
        after={"plan": "sac"},
    )
    client.force_login(admin)
    page = client.get("/backoffice/journal/").content.decode()
    assert "Clé API Camions (créée par Pierrick Dupont)" in page
    csv = b"".join(client.get("/backoffice/journal/export.csv").streaming_content).decode()
    assert "Clé API Camions (créée par Pierrick Dupont);admin@flandre.example.org" in csv
    page = client.get(f"/backoffice/comptes/{account.pk}/").content.decode()
    assert "Clé API Camions (créée par Pierrick Dupont)" in page


def test_an_entry_needs_a_login_or_a_key(world):
    ccfi, account, _, _ = world
    with pytest.raises(ValueError):
        audit_write(authority=ccfi, action="account.plan_set", obj=account)
    from levee.audit.models import AuditEntry

    with pytest.raises(IntegrityError):
        AuditEntry.objects.create(
            authority=ccfi, action="x.y", object_type="subscribers.Account", object_id="1"
        )
