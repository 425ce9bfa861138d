"""The fault tests' PostgreSQL: one cluster of their own for the session (`cluster.py`), a
template database migrated by `manage.py migrate` and filled by `world.py` in processes of
their own, and a fresh copy of it for each test."""

import uuid

import pytest

from .cluster import BIN, Cluster, manage, manage_env

TEMPLATE = "faults_template"


@pytest.fixture(scope="session")
def cluster(tmp_path_factory):
    if not (BIN / "initdb").exists():
        pytest.skip(f"PostgreSQL 15's server is not installed here ({BIN / 'initdb'} missing)")
    cluster = Cluster.made(tmp_path_factory)
    cluster.init()
    cluster.start()
    try:
        cluster.sql("postgres", f'CREATE DATABASE "{TEMPLATE}"')
        env = manage_env(cluster.url(TEMPLATE), tmp_path_factory.mktemp("var"))
        for step in (
            ["migrate", "--noinput", "-v0"],
            ["createcachetable"],
            ["shell", "-c", "from levee.lib.tests.faults.world import world_build; world_build()"],
        ):
            done = manage(*step, env=env, timeout=300)
            assert done.returncode == 0, done.stdout + done.stderr
        yield cluster
    finally:
        cluster.stop()
        cluster.remove()


@pytest.fixture
def database(cluster):
    """A copy of the template for this test: (its name, its URL)."""
    name = f"faults_{uuid.uuid4().hex[:12]}"
    url = cluster.database_from(TEMPLATE, name)
    yield name, url
    cluster.sql("postgres", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def env(database, tmp_path):
    """What a `manage.py` run of this test needs: its database, its files."""
    _, url = database
    return manage_env(url, tmp_path / "var")
