"""Retries for background tasks.

The Django tasks API has no retry: a task whose work failed calls `enqueue_retry`, which
enqueues it again to run later, the delay doubling with each attempt. Backends that cannot
defer (the immediate backend of the embedded mode and of the tests) get nothing: the work
stays recorded as due in the database and `manage.py periodic` picks it up. The periodic
job also enqueues again the tasks whose worker died under them
(`tasks_lease_expired_requeue`).
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.db import transaction
from django.utils import timezone
from django_tasks import TaskResult, TaskResultStatus
from django_tasks.base import Task

logger = logging.getLogger(__name__)

RETRY_BASE_DELAY = timedelta(minutes=1)
RETRY_MAX_DELAY = timedelta(hours=6)


def retry_delay(attempt: int) -> timedelta:
    """The wait after the `attempt`-th failed attempt: 1, 2, 4, 8… minutes, at most 6 hours."""
    exponent = min(max(attempt - 1, 0), 20)  # 2**20 minutes is far above the cap already
    return min(RETRY_BASE_DELAY * 2**exponent, RETRY_MAX_DELAY)


def enqueue_retry(task: Task, *args, attempt: int, **kwargs) -> TaskResult | None:
    """Enqueues `task(*args, **kwargs)` again, to run `retry_delay(attempt)` from now.

    `attempt` counts the attempts made so far (1 after the first failure). Returns the new
    task result, or None when the task's backend cannot defer a task (nothing is enqueued:
    the periodic sweep retries the work instead).
    """
    if not task.get_backend().supports_defer:
        return None
    run_after = timezone.now() + retry_delay(attempt)
    logger.info("retrying %s (attempt %s) after %s", task.name, attempt + 1, run_after)
    return task.using(run_after=run_after).enqueue(*args, **kwargs)


LEASE_EXPIRED = "levee.lib.tasks.LeaseExpired"
# A task whose worker died under it this many times is not enqueued again: what kills its
# worker (a file too large for the memory, say) would kill the next one too, for ever.
LEASE_MAX_ATTEMPTS = 3


def tasks_lease_expired_requeue(*, limit: int = 100) -> int:
    """Enqueues again, through `enqueue_retry`, the tasks of the database backend left
    RUNNING longer than `TASK_LEASE_SECONDS`, and marks each FAILED; returns how many.

    The database backend marks a task RUNNING when a worker claims it and never looks at it
    again: a worker killed meanwhile (SIGKILL, out of memory, the machine lost) leaves it
    RUNNING for ever. Past its lease such a task is taken for dead; the conditional update
    makes two sweeps at once enqueue it once. Levée's tasks are idempotent (a billing run
    resumes where it stopped, an outbox message is sent once), so a task re-enqueued while
    it was in fact still running changes nothing twice.

    The same call (task and arguments) whose worker died `LEASE_MAX_ATTEMPTS` times is
    marked FAILED and left so, logged as an error for the operator; before that, each time
    waits longer (the retry helper's delay of its attempt).
    """
    from django_tasks_db.models import DBTaskResult

    now = timezone.now()
    expired = list(
        DBTaskResult.objects.filter(
            status=TaskResultStatus.RUNNING,
            started_at__lt=now - timedelta(seconds=settings.TASK_LEASE_SECONDS),
        ).order_by("started_at")[:limit]
    )
    requeued = 0
    for result in expired:
        try:
            task = result.task
        except (ImportError, SuspiciousOperation):
            logger.exception("task %s left running cannot be enqueued again", result.pk)
            continue
        # The earlier deaths of the same call: each was a row of its own, marked so.
        died = (
            1
            + DBTaskResult.objects.filter(
                task_path=result.task_path,
                args_kwargs=result.args_kwargs,
                exception_class_path=LEASE_EXPIRED,
            ).count()
        )
        given_up = died >= LEASE_MAX_ATTEMPTS
        with transaction.atomic():
            taken = DBTaskResult.objects.filter(
                pk=result.pk, status=TaskResultStatus.RUNNING, started_at=result.started_at
            ).update(
                status=TaskResultStatus.FAILED,
                finished_at=now,
                exception_class_path=LEASE_EXPIRED,
                traceback=(
                    f"Still running {settings.TASK_LEASE_SECONDS} s after it started: its "
                    + (
                        f"worker is taken for dead ({died} times for this call): it is not "
                        "enqueued again."
                        if given_up
                        else "worker is taken for dead and the task is enqueued again."
                    )
                ),
            )
            if not taken:
                continue
            if given_up:
                logger.error(
                    "task %s (%s) left running %s times: not enqueued again",
                    result.pk,
                    task.name,
                    died,
                )
                continue
            logger.warning("task %s (%s) left running: enqueued again", result.pk, task.name)
            enqueue_retry(
                task,
                *result.args_kwargs["args"],
                attempt=died,
                **result.args_kwargs["kwargs"],
            )
        requeued += 1
    return requeued
