from django_tasks import task

from .importers import import_batch_run


@task()
def import_batch_run_task(batch_id: int) -> str:
    batch = import_batch_run(batch_id=batch_id)
    return batch.status if batch is not None else "skipped"
