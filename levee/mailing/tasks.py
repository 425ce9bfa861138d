from django_tasks import task

from levee.lib.tasks import enqueue_retry

from . import services
from .models import OutboxMessage


@task()
def outbox_deliver_task(message_id: int) -> str:
    result = services.outbox_deliver(message_id=message_id)
    if result is services.Delivery.FAILED:
        attempts = OutboxMessage.objects.values_list("attempts", flat=True).get(pk=message_id)
        enqueue_retry(outbox_deliver_task, message_id, attempt=attempts)
    return result.value


@task()
def outbox_deliver_many_task(message_ids: list[int]) -> int:
    """Delivers the messages stored together by `mail_enqueue_many`: one task for a chunk
    rather than one each. A failed one stays due and `manage.py periodic` retries it."""
    return sum(
        services.outbox_deliver(message_id=pk) is services.Delivery.SENT for pk in message_ids
    )
