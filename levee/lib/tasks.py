"""Retries for background tasks.

The Django tasks API has no retry: a task whose work failed calls `enqueue_retry`, which
enqueues it again to run later, the delay doubling with each attempt. Backends that cannot
defer (the immediate backend of the embedded mode and of the tests) get nothing: the work
stays recorded as due in the database and `manage.py periodic` picks it up.
"""

import logging
from datetime import timedelta

from django.utils import timezone
from django_tasks import TaskResult
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
