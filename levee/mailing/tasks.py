from django_tasks import task

from . import services


@task()
def outbox_deliver_task(message_id: int) -> bool:
    return services.outbox_deliver(message_id=message_id)
