from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from django_tasks import default_task_backend

from levee.mailing.models import OutboxMessage, OutboxStatus
from levee.mailing.services import CLAIM_TIMEOUT, mail_enqueue
from levee.mailing.tasks import outbox_deliver_task

pytestmark = pytest.mark.django_db

CONTEXT = {"name": "Pierre", "space_url": "/flandre-interieure/espace/"}


def enqueue(authority, to="pierre@example.org") -> OutboxMessage:
    with transaction.atomic():
        message = mail_enqueue(to=to, template="welcome_test", context=CONTEXT, authority=authority)
    return message


def periodic() -> str:
    from io import StringIO

    out = StringIO()
    call_command("periodic", stdout=out)
    return out.getvalue()


def test_it_keeps_a_message_that_smtp_refused_and_delivers_it_exactly_once_later(
    authority, smtp_settings, fake_smtp_server, django_capture_on_commit_callbacks
):
    # Nothing listens on the SMTP port yet: the delivery on commit fails.
    with django_capture_on_commit_callbacks(execute=True):
        message = enqueue(authority)
    message.refresh_from_db()
    assert message.status == OutboxStatus.PENDING
    assert message.attempts == 1
    assert "Connection" in message.last_error or "refused" in message.last_error.lower()
    assert message.next_attempt_at > timezone.now()

    server = fake_smtp_server()
    # Not due yet: the sweep leaves it alone.
    assert "0 message(s) sent" in periodic()
    assert server.messages == []

    OutboxMessage.objects.filter(pk=message.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )
    assert "1 message(s) sent" in periodic()
    assert len(server.messages) == 1
    recipients, received = server.messages[0]
    assert recipients == ["pierre@example.org"]
    assert received["Subject"] == "Votre espace déchets — CCFI"
    assert received["X-Levee-Message"] == str(message.pk)
    message.refresh_from_db()
    assert message.status == OutboxStatus.SENT
    assert message.attempts == 2 and message.last_error == ""

    assert "0 message(s) sent" in periodic()
    assert len(server.messages) == 1


def test_the_periodic_job_sends_every_waiting_message_once(authority):
    # No worker ran (no commit callback executed): three messages wait in the outbox.
    messages = [enqueue(authority, to=f"usager{i}@example.org") for i in range(3)]
    later = enqueue(authority, to="later@example.org")
    OutboxMessage.objects.filter(pk=later.pk).update(
        next_attempt_at=timezone.now() + timedelta(minutes=5)
    )

    assert "3 message(s) sent" in periodic()
    assert "0 message(s) sent" in periodic()

    assert sorted(m.to[0] for m in mail.outbox) == [m.to for m in messages]
    assert OutboxMessage.objects.filter(status=OutboxStatus.SENT).count() == 3
    assert OutboxMessage.objects.get(pk=later.pk).status == OutboxStatus.PENDING


def test_it_does_not_send_again_a_message_already_sent_by_the_task(
    authority, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        message = enqueue(authority)
    assert len(mail.outbox) == 1
    assert outbox_deliver_task.call(message.pk) == "skipped"
    periodic()
    assert len(mail.outbox) == 1


def test_it_releases_and_sends_a_message_claimed_by_a_dead_worker(authority):
    message = enqueue(authority)
    OutboxMessage.objects.filter(pk=message.pk).update(
        status=OutboxStatus.SENDING,
        attempts=1,
        claimed_at=timezone.now() - CLAIM_TIMEOUT - timedelta(minutes=1),
    )

    assert "1 message(s) sent" in periodic()

    assert len(mail.outbox) == 1
    message.refresh_from_db()
    assert message.status == OutboxStatus.SENT and message.attempts == 2


def test_it_leaves_alone_a_message_a_living_worker_is_sending(authority):
    message = enqueue(authority)
    OutboxMessage.objects.filter(pk=message.pk).update(
        status=OutboxStatus.SENDING, attempts=1, claimed_at=timezone.now() - timedelta(seconds=30)
    )

    assert "0 message(s) sent" in periodic()

    assert mail.outbox == []
    assert OutboxMessage.objects.get(pk=message.pk).status == OutboxStatus.SENDING


def test_the_task_enqueues_its_own_retry_when_the_backend_can_defer(
    authority, settings, smtp_settings, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    with django_capture_on_commit_callbacks(execute=True):
        message = enqueue(authority)
    [first] = default_task_backend.results
    assert first.task.run_after is None and first.args == [message.pk]

    # A worker runs it while the SMTP server is down.
    assert outbox_deliver_task.call(message.pk) == "failed"

    message.refresh_from_db()
    assert message.status == OutboxStatus.PENDING and message.attempts == 1
    [_, retry] = default_task_backend.results
    assert retry.task.func is outbox_deliver_task.func
    assert retry.args == [message.pk]
    # The retry runs when the message is due again, not before.
    assert message.next_attempt_at <= retry.task.run_after
    assert retry.task.run_after - message.next_attempt_at < timedelta(seconds=5)


def test_the_sweep_stops_early_when_smtp_is_down(authority, smtp_settings):
    for i in range(5):
        enqueue(authority, to=f"usager{i}@example.org")

    assert "0 message(s) sent" in periodic()

    assert OutboxMessage.objects.filter(attempts=1).count() == 3
    assert OutboxMessage.objects.filter(attempts=0).count() == 2
