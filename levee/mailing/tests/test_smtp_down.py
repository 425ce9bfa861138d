"""SMTP down for an hour, on a simulated clock (`levee/lib/tests/clocks.py`), against a fake
SMTP server on 127.0.0.1 that refuses every message (421) and then accepts them: the
messages wait in the outbox, the periodic job run every five minutes tries them with a
growing delay and stops early while SMTP refuses, and once it is back every message goes
out, none twice."""

from collections import Counter
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction

from levee.lib.tests.clocks import clock_install
from levee.mailing.models import OutboxMessage, OutboxStatus
from levee.mailing.services import mail_enqueue

from .conftest import CollectingHandler

pytestmark = pytest.mark.django_db

CONTEXT = {"name": "Pierre", "space_url": "/flandre-interieure/espace/"}


class RefusingThenAcceptingHandler(CollectingHandler):
    """Refuses every recipient while `down` (a server up but refusing, as one under
    maintenance does), then keeps what it accepts."""

    def __init__(self):
        super().__init__()
        self.down = True
        self.refused = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.down:
            self.refused += 1
            return "421 4.3.2 Service indisponible, réessayez plus tard"
        envelope.rcpt_tos.append(address)
        return "250 OK"


@pytest.fixture
def refusing_smtp(smtp_settings, free_port):
    from aiosmtpd.controller import Controller

    handler = RefusingThenAcceptingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port)
    controller.start()
    yield handler
    controller.stop()


def periodic() -> str:
    out = StringIO()
    call_command("periodic", stdout=out)
    return out.getvalue()


def test_messages_wait_while_smtp_is_down_for_an_hour_then_all_go_out_once(
    authority, refusing_smtp, monkeypatch, django_capture_on_commit_callbacks
):
    clock = clock_install(monkeypatch)
    outage_ends = clock.now + timedelta(hours=1)
    # Twelve messages in the outage's first minutes, each tried at once, on commit.
    for i in range(12):
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            mail_enqueue(
                to=f"usager{i}@example.org",
                template="welcome_test",
                context=CONTEXT,
                authority=authority,
            )
        clock.advance(minutes=1)
    assert refusing_smtp.refused == 12

    # The hour of the outage, the periodic job every five minutes: nothing goes, nothing
    # is lost, and the tries thin out (a growing delay, the sweep stopping after three
    # refusals in a row) rather than hammering the server.
    while clock.now < outage_ends:
        assert "outbox: 0 message(s) sent" in periodic()
        clock.advance(minutes=5)
    assert refusing_smtp.messages == []
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {OutboxStatus.PENDING}
    assert refusing_smtp.refused < 12 * 12 / 2
    assert "421" in OutboxMessage.objects.first().last_error

    # SMTP is back: within the longest delay the messages have reached, all go, once.
    refusing_smtp.down = False
    longest = max(m.next_attempt_at for m in OutboxMessage.objects.all())
    sent = 0
    while clock.now <= longest + timedelta(minutes=5):
        out = periodic()
        sent += int(out.split("outbox: ")[1].split(" ")[0])
        clock.advance(minutes=5)
    assert sent == 12
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {OutboxStatus.SENT}
    received = Counter(message["X-Levee-Message"] for _, message in refusing_smtp.messages)
    assert sorted(received) == sorted(
        str(pk) for pk in OutboxMessage.objects.values_list("pk", flat=True)
    )
    assert set(received.values()) == {1}
    assert longest - outage_ends < timedelta(hours=1)
