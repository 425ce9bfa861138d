from django_tasks import task

from .services import pes_generation_execute


@task()
def pes_generation_execute_task(generation_id: int, attempt: int) -> str:
    """Generates a run's rôle asked on « Titres et rôles » (`pes_generation_request`)."""
    return pes_generation_execute(generation_id=generation_id, attempt=attempt).status
