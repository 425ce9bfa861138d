"""The transactional outbox: a message is stored in the transaction of the change that
causes it, then delivered by a task, and swept by `manage.py periodic` until delivered."""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone

from .models import OutboxMessage, OutboxStatus

logger = logging.getLogger(__name__)

# A claim older than this is taken to belong to a worker that died mid-send.
CLAIM_TIMEOUT = timedelta(minutes=10)


def retry_delay(attempts: int) -> timedelta:
    """1, 2, 4, 8… minutes, at most 6 hours."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 360))


def mail_enqueue(*, to: str, template: str, context: dict, authority=None) -> OutboxMessage:
    """Stores a message rendered from `emails/<template>.{subject.txt,txt,html}`.

    Call it inside the transaction of the change: the message exists if and only if the
    change does, and its delivery is enqueued once the transaction commits.
    """
    context = {"SITE_URL": settings.SITE_URL, "authority": authority, **context}
    subject = render_to_string(f"emails/{template}.subject.txt", context).strip()
    message = OutboxMessage.objects.create(
        authority=authority,
        to=to,
        subject=" ".join(subject.split()),
        body_text=render_to_string(f"emails/{template}.txt", context),
        body_html=render_to_string(f"emails/{template}.html", context),
        template=template,
    )
    from .tasks import outbox_deliver_task

    transaction.on_commit(lambda: outbox_deliver_task.enqueue(message.pk))
    return message


def outbox_deliver(*, message_id: int) -> bool:
    """Sends one message if it is still waiting; returns True when it went out now.

    The conditional claim makes two workers (or a task and the sweep) send it once.
    """
    now = timezone.now()
    claimed = (
        OutboxMessage.objects.filter(pk=message_id, status=OutboxStatus.PENDING)
        .exclude(next_attempt_at__gt=now)
        .update(status=OutboxStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    )
    if not claimed:
        return False
    message = OutboxMessage.objects.get(pk=message_id)
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.to],
        headers={"Auto-Submitted": "auto-generated", "X-Levee-Message": str(message.pk)},
    )
    email.attach_alternative(message.body_html, "text/html")
    try:
        get_connection(fail_silently=False).send_messages([email])
    except Exception as exc:  # SMTP down, refused, timeout: try again later
        logger.warning("outbox message %s not delivered: %s", message.pk, exc)
        OutboxMessage.objects.filter(pk=message.pk, status=OutboxStatus.SENDING).update(
            status=OutboxStatus.PENDING,
            claimed_at=None,
            last_error=str(exc)[:2000],
            next_attempt_at=timezone.now() + retry_delay(message.attempts),
        )
        return False
    OutboxMessage.objects.filter(pk=message.pk, status=OutboxStatus.SENDING).update(
        status=OutboxStatus.SENT, sent_at=timezone.now(), last_error=""
    )
    return True


def outbox_sweep(*, limit: int = 500) -> int:
    """Delivers what is due (failed earlier, or enqueued while no worker ran); returns the count sent."""
    now = timezone.now()
    # Release claims of workers that died between the claim and the send.
    OutboxMessage.objects.filter(status=OutboxStatus.SENDING, claimed_at__lt=now - CLAIM_TIMEOUT).update(
        status=OutboxStatus.PENDING, claimed_at=None
    )
    due = (
        OutboxMessage.objects.filter(status=OutboxStatus.PENDING)
        .exclude(next_attempt_at__gt=now)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(1 for pk in list(due) if outbox_deliver(message_id=pk))
