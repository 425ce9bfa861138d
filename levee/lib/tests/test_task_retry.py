from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks import default_task_backend, task

from levee.lib.tasks import enqueue_retry, retry_delay

CALLS: list = []

DUMMY = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
DATABASE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@task()
def record_call(value: str, *, flag: bool = False) -> None:
    CALLS.append((value, flag))


def test_the_delay_doubles_with_each_attempt_up_to_six_hours():
    assert [retry_delay(n) for n in (0, 1, 2, 3, 4)] == [
        timedelta(minutes=m) for m in (1, 1, 2, 4, 8)
    ]
    assert retry_delay(9) == timedelta(minutes=256)
    assert retry_delay(10) == retry_delay(1000) == timedelta(hours=6)


def test_it_enqueues_the_task_again_later_when_the_backend_can_defer(settings):
    settings.TASKS = DUMMY
    before = timezone.now()

    result = enqueue_retry(record_call, "x", attempt=3, flag=True)

    [stored] = default_task_backend.results
    assert stored.id == result.id
    assert list(stored.args) == ["x"] and stored.kwargs == {"flag": True}
    assert before + timedelta(minutes=4) <= stored.task.run_after
    assert stored.task.run_after <= timezone.now() + timedelta(minutes=4)
    assert CALLS == []


@pytest.mark.django_db
def test_it_stores_the_retry_in_the_database_queue_of_production(settings):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = DATABASE
    before = timezone.now()

    enqueue_retry(record_call, "y", attempt=1)

    row = DBTaskResult.objects.get()
    assert row.task_path.endswith("record_call")
    assert row.args_kwargs == {"args": ["y"], "kwargs": {}}
    assert before + timedelta(minutes=1) <= row.run_after <= timezone.now() + timedelta(minutes=1)


def test_it_does_nothing_when_the_backend_cannot_defer(settings):
    settings.TASKS = IMMEDIATE

    assert enqueue_retry(record_call, "z", attempt=1) is None

    assert CALLS == []
