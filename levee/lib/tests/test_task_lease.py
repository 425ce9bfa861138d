"""A task of the database backend left RUNNING past its lease (its worker killed) is
enqueued again by the periodic job, once, through the retry helper."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from levee.lib.tasks import LEASE_EXPIRED, tasks_lease_expired_requeue

from .test_task_retry import DATABASE, record_call

pytestmark = pytest.mark.django_db


@pytest.fixture
def database_tasks(settings):
    settings.TASKS = DATABASE
    settings.TASK_LEASE_SECONDS = 600


def left_running(*, minutes_ago: int) -> DBTaskResult:
    """A task a worker took `minutes_ago` and never finished."""
    result = record_call.enqueue("bill", flag=True)
    started = timezone.now() - timedelta(minutes=minutes_ago)
    DBTaskResult.objects.filter(pk=result.id).update(
        status=TaskResultStatus.RUNNING, started_at=started, worker_ids=["dead-worker"]
    )
    return DBTaskResult.objects.get(pk=result.id)


def test_a_task_running_past_its_lease_is_enqueued_again_once(database_tasks):
    dead = left_running(minutes_ago=11)
    before = timezone.now()

    assert tasks_lease_expired_requeue() == 1
    assert tasks_lease_expired_requeue() == 0

    dead.refresh_from_db()
    assert dead.status == TaskResultStatus.FAILED
    assert dead.exception_class_path == LEASE_EXPIRED
    [again] = DBTaskResult.objects.filter(status=TaskResultStatus.READY)
    assert again.task_path == dead.task_path
    assert again.args_kwargs == {"args": ["bill"], "kwargs": {"flag": True}}
    # After the retry helper's first delay: a worker dying at once is not hammered.
    assert before + timedelta(minutes=1) <= again.run_after <= timezone.now() + timedelta(minutes=1)


def test_a_task_within_its_lease_is_left_running(database_tasks):
    alive = left_running(minutes_ago=9)

    assert tasks_lease_expired_requeue() == 0

    alive.refresh_from_db()
    assert alive.status == TaskResultStatus.RUNNING
    assert DBTaskResult.objects.count() == 1


def test_the_lease_is_a_setting(database_tasks, settings):
    left_running(minutes_ago=11)
    settings.TASK_LEASE_SECONDS = 3600

    assert tasks_lease_expired_requeue() == 0


def test_manage_periodic_enqueues_the_tasks_left_running(database_tasks):
    left_running(minutes_ago=30)
    out = StringIO()

    call_command("periodic", stdout=out)

    assert "tasks left running: 1 task(s) past their lease enqueued again" in out.getvalue()
    assert DBTaskResult.objects.filter(status=TaskResultStatus.READY).count() == 1


def test_each_death_of_the_same_call_waits_longer_and_the_third_is_the_last(database_tasks):
    """A call whose worker keeps dying (what kills it would kill the next one) is enqueued
    again after 1 then 2 minutes, and left FAILED the third time, logged for the operator."""
    waits = []
    for _ in range(2):
        left_running(minutes_ago=11)
        before = timezone.now()
        assert tasks_lease_expired_requeue() == 1
        [again] = DBTaskResult.objects.filter(status=TaskResultStatus.READY)
        waits.append(round((again.run_after - before) / timedelta(minutes=1)))
        again.delete()  # as if a worker had claimed it, then died: the next left_running
    assert waits == [1, 2]

    last = left_running(minutes_ago=11)
    assert tasks_lease_expired_requeue() == 0  # marked failed, not enqueued again
    last.refresh_from_db()
    assert last.status == TaskResultStatus.FAILED
    assert "(3 times for this call): it is not enqueued again" in last.traceback
    assert not DBTaskResult.objects.filter(status=TaskResultStatus.READY).exists()


def test_another_call_of_the_same_task_counts_its_own_deaths(database_tasks):
    for _ in range(2):
        left_running(minutes_ago=11)
        tasks_lease_expired_requeue()
        DBTaskResult.objects.filter(status=TaskResultStatus.READY).delete()
    other = record_call.enqueue("another run", flag=True)
    DBTaskResult.objects.filter(pk=other.id).update(
        status=TaskResultStatus.RUNNING,
        started_at=timezone.now() - timedelta(minutes=11),
        worker_ids=["dead-worker"],
    )

    assert tasks_lease_expired_requeue() == 1

    [again] = DBTaskResult.objects.filter(status=TaskResultStatus.READY)
    assert again.args_kwargs == {"args": ["another run"], "kwargs": {"flag": True}}
