"""Webhook deliveries against a receiver on 127.0.0.1 that fails (500), times out, then
answers 200: the event is delivered once, signed as the README says, and retried with a
growing delay in between; two workers never send one delivery twice."""

import hashlib
import hmac
import http.server
import json
import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from levee.integrations.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from levee.integrations.services import (
    webhook_endpoint_create,
    webhook_endpoint_disable,
    webhook_event_record,
)
from levee.integrations.webhooks import (
    MAX_ATTEMPTS,
    webhook_claim,
    webhook_sweep,
)
from levee.lib.periodic import periodic_jobs
from testkit import ccfi_world, make_user

pytestmark = pytest.mark.django_db


class Receiver:
    """An HTTP server on 127.0.0.1 answering each POST as `answers` says, in turn
    (500, "timeout", 200…), and keeping what it received."""

    def __init__(self, answers):
        self.answers = list(answers)
        self.received = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                answer = receiver.answers.pop(0) if receiver.answers else 200
                receiver.received.append((dict(self.headers), body, answer))
                if answer == "timeout":
                    time.sleep(1.5)
                    answer = 200  # too late: the sender gave up waiting
                try:
                    self.send_response(answer)
                    self.end_headers()
                    self.wfile.write(b"ok" if answer == 200 else b"erreur interne")
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/levee"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(request):
    made = []

    def make(*answers):
        made.append(Receiver(answers))
        return made[-1]

    yield make
    for r in made:
        r.close()


@pytest.fixture
def world(settings):
    settings.WEBHOOK_ALLOW_LOOPBACK_HTTP = True
    settings.WEBHOOK_TIMEOUT = 0.5
    ccfi, _ = ccfi_world()
    return ccfi, make_user("admin@flandre.example.org")


def due_now():
    WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING).update(
        next_attempt_at=timezone.now()
    )


def verify(secret: str, headers: dict, body: bytes) -> bool:
    """What the README tells a receiver to do."""
    timestamp = headers["X-Levee-Timestamp"]
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return hmac.compare_digest(headers["X-Levee-Signature"], "sha256=" + expected.hexdigest())


def test_a_failure_then_a_timeout_then_a_200_deliver_the_event_once(world, receiver):
    ccfi, admin = world
    target = receiver(500, "timeout", 200)
    endpoint, secret = webhook_endpoint_create(
        authority=ccfi, url=target.url, events=["payment.confirmed"], created_by=admin
    )
    webhook_event_record(
        authority=ccfi, event="payment.confirmed", payload={"invoice": "2300240069928"}
    )

    assert webhook_sweep() == 0  # 500
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.attempts == 1 and delivery.response_code == 500
    assert delivery.response_excerpt == "erreur interne"
    assert delivery.next_attempt_at > timezone.now() + timedelta(seconds=50)
    assert webhook_sweep() == 0  # not due yet: nothing sent
    assert len(target.received) == 1

    due_now()
    assert webhook_sweep() == 0  # times out
    delivery.refresh_from_db()
    assert delivery.attempts == 2 and delivery.response_code is None
    assert "Pas de réponse en 0.5 secondes." in delivery.last_error
    assert delivery.next_attempt_at > timezone.now() + timedelta(seconds=110)  # 2 minutes

    due_now()
    assert webhook_sweep() == 1  # 200
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert delivery.attempts == 3 and delivery.response_code == 200
    assert delivery.delivered_at is not None

    due_now()
    WebhookDelivery.objects.update(next_attempt_at=timezone.now() - timedelta(days=1))
    assert webhook_sweep() == 0
    assert len(target.received) == 3  # delivered once: never sent again
    ids = {headers["X-Levee-Delivery"] for headers, _, _ in target.received}
    assert ids == {str(delivery.event_id)}  # the same event id on every attempt
    for headers, body, _ in target.received:
        assert headers["X-Levee-Event"] == "payment.confirmed"
        assert headers["Content-Type"] == "application/json; charset=utf-8"
        assert verify(secret, headers, body)
        assert not verify("whsec_another", headers, body)
        sent = json.loads(body)
        assert sent["id"] == str(delivery.event_id)
        assert sent["data"] == {"invoice": "2300240069928"}


def test_a_claimed_delivery_is_not_taken_by_a_second_worker(world, receiver):
    ccfi, admin = world
    target = receiver(200)
    webhook_endpoint_create(
        authority=ccfi, url=target.url, events=["import.finished"], created_by=admin
    )
    webhook_event_record(authority=ccfi, event="import.finished", payload={})
    first = webhook_claim()
    assert len(first) == 1
    assert webhook_claim() == []  # the second worker finds nothing to send
    assert webhook_sweep() == 0
    assert target.received == []


def test_a_delivery_is_abandoned_after_its_last_attempt(world, receiver):
    ccfi, admin = world
    target = receiver(503)
    webhook_endpoint_create(
        authority=ccfi, url=target.url, events=["import.finished"], created_by=admin
    )
    webhook_event_record(authority=ccfi, event="import.finished", payload={})
    WebhookDelivery.objects.update(attempts=MAX_ATTEMPTS - 1)
    webhook_sweep()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.ABANDONED
    assert delivery.last_error == "Le destinataire a répondu HTTP 503."


def test_an_unreachable_receiver_is_retried_later(world):
    ccfi, admin = world
    webhook_endpoint_create(
        authority=ccfi, url="http://127.0.0.1:9/levee", events=["import.finished"], created_by=admin
    )
    webhook_event_record(authority=ccfi, event="import.finished", payload={})
    assert webhook_sweep() == 0
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.last_error.startswith("Destinataire injoignable")


def test_an_address_that_leads_inside_is_never_reached(world):
    ccfi, admin = world
    endpoint, _ = webhook_endpoint_create(
        authority=ccfi, url="https://8.8.8.8/levee", events=["import.finished"], created_by=admin
    )
    # As if its name now resolved to a private network (or the settings had changed).
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(url="https://10.255.255.1/levee")
    webhook_event_record(authority=ccfi, event="import.finished", payload={})
    started = time.monotonic()
    assert webhook_sweep() == 0
    assert time.monotonic() - started < 0.5  # refused without trying to connect
    delivery = WebhookDelivery.objects.get()
    assert "réseau interne" in delivery.last_error
    assert delivery.status == DeliveryStatus.PENDING and delivery.response_code is None


def test_a_name_that_resolves_inside_is_never_reached(world, monkeypatch):
    import socket

    ccfi, admin = world
    webhook_endpoint_create(
        authority=ccfi,
        url="https://logiciel.example.org/levee",
        events=["import.finished"],
        created_by=admin,
    )
    # The outside world faked: the name's DNS answer is a private address.
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda *a, **k: [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.5", 443))],
    )
    webhook_event_record(authority=ccfi, event="import.finished", payload={})
    assert webhook_sweep() == 0
    assert "réseau interne" in WebhookDelivery.objects.get().last_error


def test_a_disabled_endpoint_is_sent_nothing(world, receiver):
    ccfi, admin = world
    target = receiver(200)
    endpoint, _ = webhook_endpoint_create(
        authority=ccfi, url=target.url, events=["import.finished"], created_by=admin
    )
    webhook_event_record(authority=ccfi, event="import.finished", payload={})
    webhook_endpoint_disable(endpoint=endpoint, by=admin)
    assert webhook_sweep() == 0
    assert target.received == []


def test_manage_py_periodic_runs_the_sweep(world, receiver):
    ccfi, admin = world
    target = receiver(200)
    webhook_endpoint_create(
        authority=ccfi, url=target.url, events=["import.finished"], created_by=admin
    )
    webhook_event_record(authority=ccfi, event="import.finished", payload={})
    job = next(job for job in periodic_jobs() if job.name == "webhooks")
    assert job.run() == "1 webhook(s) delivered"
    assert len(target.received) == 1


# Row locks: PostgreSQL only (SQLite has none, the conditional claim suffices there).
@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_a_delivery_locked_by_another_worker_is_skipped_not_waited_for(settings):
    settings.WEBHOOK_ALLOW_LOOPBACK_HTTP = True
    ccfi, _ = ccfi_world()
    admin = make_user("admin@flandre.example.org")
    webhook_endpoint_create(
        authority=ccfi, url="http://127.0.0.1:9/", events=["import.finished"], created_by=admin
    )
    webhook_event_record(authority=ccfi, event="import.finished", payload={})
    delivery = WebhookDelivery.objects.get()
    locked, done = threading.Event(), threading.Event()

    def other_worker():
        try:
            with transaction.atomic():
                WebhookDelivery.objects.select_for_update().get(pk=delivery.pk)
                locked.set()
                done.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=other_worker)
    thread.start()
    assert locked.wait(10)
    started = time.monotonic()
    assert webhook_claim() == []  # skipped at once, not waited for
    assert time.monotonic() - started < 5
    done.set()
    thread.join()
    assert webhook_claim() == [delivery.pk]
