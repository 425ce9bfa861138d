"""The migration that brings roles keeps the rights of the agents that exist already."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("backoffice", "0002_auditentry")]
AFTER = [("backoffice", "0003_agent_role")]


def test_existing_agents_become_administrators_and_new_ones_get_their_role():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    apps = executor.loader.project_state(BEFORE).apps
    authority = apps.get_model("authorities", "Authority").objects.create(
        slug="ancienne", code="00999", name="Ancienne collectivité"
    )
    user = apps.get_model("accounts", "User").objects.create(email="agent@ancienne.example.org")
    agent = apps.get_model("backoffice", "Agent").objects.create(authority=authority, user=user)

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    apps = executor.loader.project_state(AFTER).apps
    Agent = apps.get_model("backoffice", "Agent")
    assert Agent.objects.get(pk=agent.pk).role == "administrateur"
    other = apps.get_model("accounts", "User").objects.create(email="nouveau@ancienne.example.org")
    assert Agent.objects.create(authority_id=authority.pk, user=other).role == "accueil"

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
