"""A payment left unfinished (a wrong card number, the tab closed) never locks its invoice:
« Mes factures » says since when it waits and until when it is checked, and offers to
resume it or to abandon it; the periodic job settles it."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from levee.agents.models import Agent
from levee.agents.roles import AgentRole
from levee.billing.models import InvoiceStatus
from levee.payments.models import Payment, PaymentStatus, SandboxResult, SandboxTransaction
from levee.payments.services import payment_notified, payments_waiting_resolve
from testkit import make_account, make_user, pilat_world

from .conftest import plain

pytestmark = pytest.mark.django_db

PAGE = "/flandre-interieure/espace/mes-factures/"


def abandon_url(invoice, slug="flandre-interieure"):
    return reverse("payments:abandon", args=[slug, invoice.pk])


def start(client, world) -> Payment:
    client.force_login(world.user)
    client.post(reverse("payments:pay", args=["flandre-interieure", world.invoice.pk]))
    return Payment.objects.get(status=PaymentStatus.WAITING)


def test_a_waiting_payment_says_until_when_it_is_checked_and_offers_to_resume_or_abandon(
    client, world
):
    payment = start(client, world)
    text = plain(client.get(PAGE))
    started = timezone.localtime(payment.created_at)
    until = started + datetime.timedelta(days=1)
    assert (
        f"Paiement commencé le {started:%d/%m/%Y} à {started:%H:%M}, en cours de vérification "
        f"jusqu'au {until:%d/%m/%Y} à {until:%H:%M} au plus tard." in text
    )
    assert "Reprendre le paiement" in text
    assert "Abandonner le paiement" in text


def test_resuming_sends_the_resident_back_to_the_same_operation(client, world):
    payment = start(client, world)
    response = client.post(reverse("payments:pay", args=["flandre-interieure", world.invoice.pk]))
    assert response.status_code == 302
    assert response.url == reverse("payments:sandbox_debt", args=[payment.order_id])
    assert Payment.objects.count() == 1


def test_abandoning_frees_the_invoice_to_be_paid_again(client, world):
    payment = start(client, world)
    response = client.post(abandon_url(world.invoice), follow=True)
    text = plain(response)
    assert "Le paiement est abandonné : la facture 2300240069928 n'est pas réglée" in text
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.EXPIRED
    assert "Régler la facture 2300240069928" in text
    client.post(reverse("payments:pay", args=["flandre-interieure", world.invoice.pk]))
    assert Payment.objects.filter(status=PaymentStatus.WAITING).count() == 1


def test_an_abandoned_payment_the_gateway_then_says_paid_still_pays_the_invoice(client, world):
    payment = start(client, world)
    client.post(abandon_url(world.invoice))
    sandbox = SandboxTransaction.objects.get(idop=payment.order_id)
    SandboxTransaction.objects.filter(pk=sandbox.pk).update(
        result=SandboxResult.CARD_PAID, finished_at=timezone.now()
    )
    payment_notified(gateway="sandbox", order_id=payment.order_id)
    payment.refresh_from_db()
    world.invoice.refresh_from_db()
    assert payment.status == PaymentStatus.PAID
    assert world.invoice.status == InvoiceStatus.PAID


def test_abandoning_a_payment_already_paid_at_the_gateway_records_it_paid(client, world):
    payment = start(client, world)
    SandboxTransaction.objects.filter(idop=payment.order_id).update(
        result=SandboxResult.CARD_PAID, finished_at=timezone.now()
    )
    text = plain(client.post(abandon_url(world.invoice), follow=True))
    assert "Cette facture est déjà réglée." in text
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID


def test_abandon_refuses_get_another_resident_and_an_agent_of_another_authority(client, world):
    payment = start(client, world)
    assert client.get(abandon_url(world.invoice)).status_code == 405
    other = make_account(world.authority, code="00002", portal_key="ZZZZZZZZ", last_name="MARTIN")
    client.force_login(make_user("marie@example.org", accounts=[other]))
    assert client.post(abandon_url(world.invoice)).status_code == 404
    pilat, _ = pilat_world()
    agent = make_user("agent.pilat@example.org")
    Agent.objects.create(authority=pilat, user=agent, role=AgentRole.ADMINISTRATEUR)
    client.force_login(agent)
    assert client.post(abandon_url(world.invoice)).status_code == 404
    assert client.post(abandon_url(world.invoice, slug="pilat-rhodanien")).status_code == 404
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.WAITING


def test_the_periodic_job_settles_a_payment_left_on_the_card_screen(client, world):
    payment = start(client, world)
    # Left on the card screen past the sandbox's lifetime: the gateway says it expired.
    SandboxTransaction.objects.filter(idop=payment.order_id).update(
        created_at=timezone.now() - datetime.timedelta(minutes=30)
    )
    Payment.objects.filter(pk=payment.pk).update(
        created_at=timezone.now() - datetime.timedelta(minutes=30)
    )
    assert payments_waiting_resolve()["settled"] == 1
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.EXPIRED
    assert "Régler la facture 2300240069928" in plain(client.get(PAGE))
