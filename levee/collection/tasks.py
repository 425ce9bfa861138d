from django_tasks import task

from .averages import production_averages_refresh
from .importers import import_batch_run
from .models import ImportStatus


@task()
def import_batch_run_task(batch_id: int) -> str:
    batch = import_batch_run(batch_id=batch_id)
    if batch is None:
        return "skipped"
    if batch.status == ImportStatus.DONE and batch.rows_imported:
        # The households' comparison reads precomputed averages: bring them up to date with
        # what came in now rather than at the next periodic run (the demo runs none).
        production_averages_refresh(authority=batch.authority)
    return batch.status
