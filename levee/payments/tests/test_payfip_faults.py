"""PayFiP failing in the ways a remote service does — too slow to answer, refusing the
connection, answering garbage — against the fake service on 127.0.0.1 (real HTTP through
eopayment and zeep): the invoice stays payable, the resident reads a clear French message,
nothing is marked paid."""

import socket

import pytest
from django.urls import reverse
from eopayment.payfip_ws import PayFiP

from levee.billing.models import Invoice, InvoiceStatus
from levee.payments.gateways.payfip import payfip_client
from levee.payments.models import Payment, PaymentStatus
from levee.payments.services import payments_waiting_resolve

from .conftest import plain
from .test_payfip import back, notify, regler

pytestmark = pytest.mark.django_db

UNAVAILABLE = (
    "Le service de paiement ne répond pas pour le moment : votre facture n'a pas été réglée. "
    "Réessayez dans quelques minutes."
)
FAULTS = ["slow", "refused", "html", "xml", "empty"]


@pytest.fixture
def short_timeout(monkeypatch):
    """eopayment waits 15 s for PayFiP; the fake is slow for 3 s: wait 1 s here."""
    monkeypatch.setattr(PayFiP, "default_timeout", 1)


def closed_port() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


def misbehave(fake, fault: str) -> None:
    if fault == "refused":
        fake.service_url = closed_port()  # nothing listens there once the probe is closed
        payfip_client.cache_clear()  # the next client reads the WSDL naming it
    else:
        fake.misbehave = fault


def invoice_of(world) -> Invoice:
    return Invoice.objects.get(pk=world.invoice.pk)


@pytest.mark.parametrize("fault", FAULTS)
def test_regler_while_payfip_fails_changes_nothing_and_says_so(
    client, payfip_world, short_timeout, fault
):
    misbehave(payfip_world.payfip, fault)
    client.force_login(payfip_world.user)

    response = client.post(
        reverse("payments:pay", args=["flandre-interieure", payfip_world.invoice.pk]), follow=True
    )

    page = plain(response)
    assert UNAVAILABLE in page
    assert "Régler" in page  # still offered
    assert invoice_of(payfip_world).status == InvoiceStatus.OPEN
    assert not Payment.objects.filter(status__in=[PaymentStatus.WAITING, PaymentStatus.PAID])


@pytest.mark.parametrize("fault", FAULTS)
def test_a_payment_whose_status_call_fails_stays_waiting_and_nothing_is_paid(
    client, payfip_world, short_timeout, fault
):
    payment = regler(client, payfip_world)
    misbehave(payfip_world.payfip, fault)

    page = plain(back(client, payment))
    notify(client, payment.order_id)
    checked = payments_waiting_resolve()

    assert "Votre paiement est en cours de vérification" in page
    assert checked["settled"] == 0
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.WAITING and payment.paid_at is None
    assert invoice_of(payfip_world).status == InvoiceStatus.OPEN


@pytest.mark.parametrize("fault", FAULTS)
def test_once_payfip_is_back_the_payment_is_settled_once(
    client, payfip_world, short_timeout, fault
):
    payment = regler(client, payfip_world)
    payfip_world.payfip.finish(payment.order_id, "P")
    misbehave(payfip_world.payfip, fault)
    back(client, payment)
    assert invoice_of(payfip_world).status == InvoiceStatus.OPEN

    payfip_world.payfip.misbehave = payfip_world.payfip.service_url = ""
    payfip_client.cache_clear()  # its WSDL named the closed port
    notify(client, payment.order_id)
    notify(client, payment.order_id)

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID
    assert invoice_of(payfip_world).status == InvoiceStatus.PAID
    assert Payment.objects.filter(status=PaymentStatus.PAID).count() == 1
