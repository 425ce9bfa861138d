"""The audit log says that a clé d'activation changed, never the key."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from levee.agents.services import account_key_regenerate
from levee.audit.models import AuditEntry
from testkit import ccfi_world, make_user

BEFORE = [("audit", "0002_agent_label")]
AFTER = [("audit", "0003_mask_activation_keys")]


@pytest.mark.django_db
def test_regenerating_a_key_audits_the_change_without_either_key():
    _ccfi, account = ccfi_world()
    agent = make_user("agent.flandre@example.org")
    new_key = account_key_regenerate(account=account, agent_user=agent)
    entry = AuditEntry.objects.get(action="account.key_regenerate")
    assert entry.before == {"portal_key": "(masquée)"}
    assert entry.after == {"portal_key": "(masquée)"}
    written = str(entry.before) + str(entry.after)
    assert "PSEMCSMJ" not in written and new_key not in written


@pytest.mark.django_db(transaction=True)
def test_the_migration_masks_the_keys_already_in_the_log_and_nothing_else():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    apps = executor.loader.project_state(BEFORE).apps
    authority = apps.get_model("authorities", "Authority").objects.create(
        slug="ancienne", code="00999", name="Ancienne collectivité"
    )
    user = apps.get_model("accounts", "User").objects.create(email="agent@ancienne.example.org")
    Entry = apps.get_model("audit", "AuditEntry")
    regenerated = Entry.objects.create(
        authority=authority,
        actor=user,
        action="account.key_regenerate",
        object_type="subscribers.Account",
        object_id="1",
        before={"portal_key": "PSEMCSMJ"},
        after={"portal_key": "KBWHLTRA"},
    )
    other = Entry.objects.create(
        authority=authority,
        actor=user,
        action="account.associate",
        object_type="subscribers.Account",
        object_id="1",
        after={"login": "dupont59@gmail.com"},
    )

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    Entry = executor.loader.project_state(AFTER).apps.get_model("audit", "AuditEntry")
    regenerated = Entry.objects.get(pk=regenerated.pk)
    assert regenerated.before == {"portal_key": "(masquée)"}
    assert regenerated.after == {"portal_key": "(masquée)"}
    assert Entry.objects.get(pk=other.pk).after == {"login": "dupont59@gmail.com"}

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
