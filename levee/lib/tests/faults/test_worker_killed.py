"""A task worker (`manage.py db_worker`, django-tasks-db) killed with SIGKILL in the middle
of a billing run, or of an uploaded lift import: the backend leaves the task RUNNING for ever; `manage.py periodic` takes
it for dead once past its lease (TASK_LEASE_SECONDS) and enqueues it again through the
retry helper, and a new worker finishes the run, once, its numbering without a hole (the
import: from its stored file, every lift once)."""

import datetime
import signal
import time

import pytest

from .cluster import manage, manage_start
from .test_postgres_restart import wait_for
from .world import HOUSEHOLDS, SLUG, lifts_csv

pytestmark = pytest.mark.slow

TASK = "levee.billing.tasks.billing_run_execute_task"
CREATE = (
    "import datetime;"
    "from levee.authorities.models import Authority;"
    "from levee.billing.services import billing_run_create;"
    f"billing_run_create(authority=Authority.objects.get(slug='{SLUG}'), kind='reelle', year=2023,"
    " half=None, issued_on=datetime.date(2024, 1, 15))"
)


LIFTS_2024 = "SELECT count(*) FROM collection_lift WHERE lifted_at >= '2024-01-01'"


def tasks_of(cluster, name: str, task: str = TASK) -> list[tuple]:
    return cluster.sql(
        name,
        "SELECT status, exception_class_path FROM django_tasks_database_dbtaskresult"
        " WHERE task_path = %s ORDER BY enqueued_at",
        [task],
    )


def test_a_billing_run_whose_worker_was_killed_is_enqueued_again_past_its_lease_and_ends_once(
    cluster, database, env
):
    name, _ = database
    created = manage("shell", "-c", CREATE, env=env)
    assert created.returncode == 0, created.stdout + created.stderr
    assert tasks_of(cluster, name) == [("READY", "")]

    worker = manage_start("db_worker", "--no-startup-delay", "--interval", "0.2", env=env)
    wait_for(
        lambda: cluster.sql(name, "SELECT count(*) FROM billing_invoice")[0][0] >= 1000,
        what="the run's first chunk",
    )
    worker.send_signal(signal.SIGKILL)
    worker.communicate(timeout=30)
    billed = cluster.sql(name, "SELECT count(*) FROM billing_invoice")[0][0]
    assert billed < HOUSEHOLDS
    assert cluster.sql(name, "SELECT status FROM billing_billingrun") == [("en_cours",)]
    assert tasks_of(cluster, name) == [("RUNNING", "")]

    # Within its lease the task is left alone (its worker may be alive, and slow).
    within = manage("periodic", env=env)
    assert "tasks left running: 0 task(s)" in within.stdout, within.stdout + within.stderr
    time.sleep(2)
    past = manage("periodic", env={**env, "TASK_LEASE_SECONDS": "1"})
    assert "tasks left running: 1 task(s)" in past.stdout, past.stdout + past.stderr
    assert tasks_of(cluster, name) == [
        ("FAILED", "levee.lib.tasks.LeaseExpired"),
        ("READY", ""),
    ]
    [(run_after,)] = cluster.sql(
        name,
        "SELECT run_after - now() FROM django_tasks_database_dbtaskresult WHERE status = 'READY'"
        " AND task_path = %s",
        [TASK],
    )
    assert datetime.timedelta(seconds=30) < run_after <= datetime.timedelta(minutes=1)
    # The retry helper's minute passes (the clock of the database, not of this test).
    cluster.sql(name, "UPDATE django_tasks_database_dbtaskresult SET run_after = now()")

    again = manage("db_worker", "--no-startup-delay", "--batch", env=env, timeout=110)
    assert again.returncode == 0, again.stdout + again.stderr
    assert cluster.sql(name, "SELECT status FROM billing_billingrun") == [("terminee",)]
    assert cluster.sql(
        name,
        "SELECT count(*), count(DISTINCT number), count(DISTINCT subscription_id),"
        " max(right(number, 6)::int) - min(right(number, 6)::int) FROM billing_invoice",
    ) == [(HOUSEHOLDS, HOUSEHOLDS, HOUSEHOLDS, HOUSEHOLDS - 1)]
    assert tasks_of(cluster, name) == [
        ("FAILED", "levee.lib.tasks.LeaseExpired"),
        ("SUCCESSFUL", ""),
    ]
    later = manage("periodic", env={**env, "TASK_LEASE_SECONDS": "1"})
    assert "tasks left running: 0 task(s)" in later.stdout


IMPORT_TASK = "levee.collection.tasks.import_batch_run_task"


def upload(path) -> str:
    """What the back office's upload does: the file stored with its batch, its task enqueued."""
    return (
        "from django.core.files import File;"
        "from levee.authorities.models import Authority;"
        "from levee.collection.importers import import_batch_create;"
        f"handle = open('{path}', 'rb');"
        f"import_batch_create(authority=Authority.objects.get(slug='{SLUG}'), kind='lifts',"
        " upload=File(handle, name='levees-2024.csv'), created_by=None)"
    )


def test_an_uploaded_lift_import_whose_worker_was_killed_is_run_again_and_imports_once(
    cluster, database, env, tmp_path
):
    name, _ = database
    path = tmp_path / "levees-2024.csv"
    path.write_text(lifts_csv(), encoding="utf-8")
    created = manage("shell", "-c", upload(path), env=env)
    assert created.returncode == 0, created.stdout + created.stderr

    worker = manage_start("db_worker", "--no-startup-delay", "--interval", "0.2", env=env)
    wait_for(
        lambda: cluster.sql(
            name,
            "SELECT 1 FROM collection_importbatch WHERE status = 'running' AND lines_read > 20000",
        ),
        what="the import's progress",
    )
    worker.send_signal(signal.SIGKILL)
    worker.communicate(timeout=30)
    assert cluster.sql(name, LIFTS_2024) == [(0,)]
    assert tasks_of(cluster, name, IMPORT_TASK) == [("RUNNING", "")]

    # Ten minutes without a sign of life: the page says « Interrompu »; then the lease ends.
    cluster.sql(
        name, "UPDATE collection_importbatch SET updated_at = updated_at - interval '11 minutes'"
    )
    time.sleep(2)
    past = manage("periodic", env={**env, "TASK_LEASE_SECONDS": "1"})
    assert "tasks left running: 1 task(s)" in past.stdout, past.stdout + past.stderr
    cluster.sql(name, "UPDATE django_tasks_database_dbtaskresult SET run_after = now()")

    again = manage("db_worker", "--no-startup-delay", "--batch", env=env, timeout=110)
    assert again.returncode == 0, again.stdout + again.stderr
    assert cluster.sql(name, "SELECT status, rows_imported, file FROM collection_importbatch") == [
        ("done", 135000, "")
    ]
    assert cluster.sql(name, LIFTS_2024) == [(135000,)]
    assert tasks_of(cluster, name, IMPORT_TASK) == [
        ("FAILED", "levee.lib.tasks.LeaseExpired"),
        ("SUCCESSFUL", ""),
    ]
