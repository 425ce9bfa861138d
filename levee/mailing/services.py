"""The transactional outbox: a message is stored in the transaction of the change that
causes it, then delivered by a task, and swept by `manage.py periodic` until delivered."""

import enum
import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import escape

from levee.authorities.hosts import authority_links, host_paths
from levee.lib.bulk import bulk_insert
from levee.lib.tasks import retry_delay

from .models import OutboxMessage, OutboxStatus

logger = logging.getLogger(__name__)

# A claim older than this is taken to belong to a worker that died mid-send (far above
# EMAIL_TIMEOUT, so a slow but living worker is never overtaken).
CLAIM_TIMEOUT = timedelta(minutes=10)
# A sweep stops after this many failures in a row: the SMTP server is most likely down, and
# trying every waiting message against it would keep the periodic job running for hours.
SWEEP_MAX_CONSECUTIVE_FAILURES = 3
SUBJECT_MAX_LENGTH = OutboxMessage._meta.get_field("subject").max_length


class Delivery(enum.Enum):
    SENT = "sent"  # went out now
    FAILED = "failed"  # tried and failed: due again at next_attempt_at
    SKIPPED = "skipped"  # already sent, not due yet, or being sent by another worker


def mail_enqueue(*, to: str, template: str, context: dict, authority=None) -> OutboxMessage:
    """Stores a message rendered from `emails/<template>.{subject.txt,txt,html}`.

    Call it inside the transaction of the change: the message exists if and only if the
    change does, and its delivery is enqueued once the transaction commits. Templates get
    `SITE_URL` (links in emails must be absolute) and `authority`; for an authority with its
    own host name, `SITE_URL` is that host and `{% url %}` gives its paths.
    """
    with authority_links(authority) as site_url:
        context = {"SITE_URL": site_url, "authority": authority, **host_paths(authority, context)}
        subject = " ".join(render_to_string(f"emails/{template}.subject.txt", context).split())
        body_text = render_to_string(f"emails/{template}.txt", context)
        body_html = render_to_string(f"emails/{template}.html", context)
    message = OutboxMessage.objects.create(
        authority=authority,
        to=to,
        subject=subject[:SUBJECT_MAX_LENGTH],
        body_text=body_text,
        body_html=body_html,
        template=template,
    )
    from .tasks import outbox_deliver_task

    # robust: a task backend that cannot take the task must not turn the committed change
    # into an error page; the message is stored and the periodic sweep will send it.
    transaction.on_commit(lambda: outbox_deliver_task.enqueue(message.pk), robust=True)
    return message


def mail_enqueue_many(
    *, template: str, context: dict, messages: list[tuple[str, dict[str, str]]], authority=None
) -> list[int]:
    """`mail_enqueue` for many messages of one template that differ only by a few plain-text
    values (a number, an amount): `messages` is [(to, {name: value})], and each name is a
    context variable of the template, used without filters.

    The template is rendered once with markers in place of those values, and each message
    fills them in (escaped in the HTML part): the same text as `mail_enqueue` would render,
    for a few microseconds a message instead of a rendering, one insert for all, and one
    delivery task for all once the transaction commits. Returns the messages' pks.
    """
    if not messages:
        return []
    marker = secrets.token_hex(8)
    names = list(messages[0][1])
    marked = {name: f"{marker}{name}{marker}" for name in names}
    with authority_links(authority) as site_url:
        context = {
            "SITE_URL": site_url,
            "authority": authority,
            **host_paths(authority, context),
            **marked,
        }
        parts = {
            part: render_to_string(f"emails/{template}.{part}", context)
            for part in ("subject.txt", "txt", "html")
        }

    def fill(text: str, values: dict[str, str], *, html: bool) -> str:
        for name in names:
            value = str(values[name])
            text = text.replace(marked[name], escape(value) if html else value)
        return text

    ids = bulk_insert(
        OutboxMessage,
        [
            {
                "authority_id": authority.pk if authority else None,
                "to": to,
                "subject": " ".join(fill(parts["subject.txt"], values, html=False).split())[
                    :SUBJECT_MAX_LENGTH
                ],
                "body_text": fill(parts["txt"], values, html=False),
                "body_html": fill(parts["html"], values, html=True),
                "template": template,
            }
            for to, values in messages
        ],
        ids=True,
    )
    from .tasks import outbox_deliver_many_task

    transaction.on_commit(lambda: outbox_deliver_many_task.enqueue(ids), robust=True)
    return ids


def outbox_deliver(*, message_id: int) -> Delivery:
    """Sends one message if it is still waiting and due.

    The conditional claim (PENDING → SENDING) makes two workers, or a task and the sweep,
    send it once. A failure puts it back to PENDING, due after a growing delay.
    """
    now = timezone.now()
    claimed = (
        OutboxMessage.objects.filter(pk=message_id, status=OutboxStatus.PENDING)
        .exclude(next_attempt_at__gt=now)
        .update(status=OutboxStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    )
    if not claimed:
        return Delivery.SKIPPED
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
            last_error=f"{type(exc).__name__}: {exc}"[:2000],
            next_attempt_at=timezone.now() + retry_delay(message.attempts),
        )
        return Delivery.FAILED
    OutboxMessage.objects.filter(pk=message.pk, status=OutboxStatus.SENDING).update(
        status=OutboxStatus.SENT, sent_at=timezone.now(), claimed_at=None, last_error=""
    )
    return Delivery.SENT


def outbox_release_stale_claims() -> int:
    """Puts back to PENDING the messages claimed by a worker that died before finishing."""
    return OutboxMessage.objects.filter(
        status=OutboxStatus.SENDING, claimed_at__lt=timezone.now() - CLAIM_TIMEOUT
    ).update(status=OutboxStatus.PENDING, claimed_at=None)


def outbox_sweep(*, limit: int = 500) -> int:
    """Delivers what is due (failed earlier, or enqueued while no worker ran); returns the
    count sent now."""
    outbox_release_stale_claims()
    due = list(
        OutboxMessage.objects.filter(status=OutboxStatus.PENDING)
        .exclude(next_attempt_at__gt=timezone.now())
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    sent = failures_in_a_row = 0
    for pk in due:
        result = outbox_deliver(message_id=pk)
        if result is Delivery.SENT:
            sent += 1
            failures_in_a_row = 0
        elif result is Delivery.FAILED:
            failures_in_a_row += 1
            if failures_in_a_row >= SWEEP_MAX_CONSECUTIVE_FAILURES:
                logger.warning("outbox sweep stopped after %s failures in a row", failures_in_a_row)
                break
    return sent
