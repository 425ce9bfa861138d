from django_tasks import task

from .services import billing_run_execute


@task()
def billing_run_execute_task(run_id: int) -> str:
    return billing_run_execute(run_id=run_id).status
