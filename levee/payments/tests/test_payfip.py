"""PayFiP end to end against a fake PayFiP SOAP service on 127.0.0.1 (real HTTP through
eopayment and zeep): « Régler » opens the operation, the notification and the return
page confirm it by the status call only, idempotently, whatever order they come in."""

import datetime
import logging

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from levee.billing.models import Invoice, InvoiceStatus
from levee.payments.models import Payment, PaymentMethod, PaymentStatus
from levee.payments.services import payments_waiting_resolve

from .conftest import plain

pytestmark = pytest.mark.django_db

NOTIFY = "/paiement/notification/"


def regler(client, world) -> Payment:
    client.force_login(world.user)
    response = client.post(reverse("payments:pay", args=["flandre-interieure", world.invoice.pk]))
    payment = Payment.objects.get(status=PaymentStatus.WAITING)
    assert response.status_code == 302
    assert response.url == f"https://www.payfip.gouv.fr/tpa/paiementws.web?idop={payment.order_id}"
    return payment


def notify(client, idop: str):
    return client.post(NOTIFY, {"idOp": idop})


def back(client, payment: Payment):
    """The resident's browser comes back: PayFiP posts idOp to urlredirect."""
    return client.post(
        reverse("payments:return", args=["flandre-interieure", payment.pk]),
        {"idOp": payment.order_id},
        follow=True,
    )


def invoice_of(world) -> Invoice:
    return Invoice.objects.get(pk=world.invoice.pk)


def test_regler_opens_a_payfip_operation_for_the_invoice(client, payfip_world):
    payment = regler(client, payfip_world)
    operation = payfip_world.payfip.only()
    assert operation.idop == payment.order_id
    assert operation.request == {
        "exer": "2023",
        "mel": "dupont59@gmail.com",
        "montant": "8794",
        "numcli": "012345",
        "objet": "Redevance incitative facture 2300240069928",
        "refdet": "2300240069928",
        "saisie": "T",
        "urlnotif": "https://dechets.example.org/paiement/notification/",
        "urlredirect": f"https://dechets.example.org/paiement/retour/flandre-interieure/{payment.pk}/",
    }


def test_paid_by_card(client, payfip_world):
    payment = regler(client, payfip_world)
    payfip_world.payfip.finish(payment.order_id, "P")
    assert notify(client, payment.order_id).status_code == 200
    payment.refresh_from_db()
    invoice = invoice_of(payfip_world)
    assert (payment.status, payment.method, payment.transaction_id) == (
        PaymentStatus.PAID,
        PaymentMethod.CARD,
        "112233",
    )
    assert (invoice.status, invoice.paid_by) == (InvoiceStatus.PAID, "carte")
    assert invoice.paid_at == payment.paid_at
    page = plain(back(client, payment))
    assert "Votre paiement de 87,94 € est accepté." in page
    assert "La facture 2300240069928 est réglée par carte bancaire le" in page


def test_paid_by_debit(client, payfip_world):
    payment = regler(client, payfip_world)
    payfip_world.payfip.finish(payment.order_id, "V")
    page = plain(back(client, payment))  # the browser comes back before the notification
    assert "réglée par prélèvement" in page
    assert invoice_of(payfip_world).paid_by == "prelevement"
    assert Payment.objects.get().method == PaymentMethod.DEBIT


def test_refused_leaves_the_invoice_payable(client, payfip_world):
    payment = regler(client, payfip_world)
    payfip_world.payfip.finish(payment.order_id, "R")
    notify(client, payment.order_id)
    page = plain(back(client, payment))
    assert "Votre paiement a été refusé." in page
    assert Payment.objects.get().status == PaymentStatus.REFUSED
    assert invoice_of(payfip_world).status == InvoiceStatus.OPEN
    second = client.post(
        reverse("payments:pay", args=["flandre-interieure", payfip_world.invoice.pk])
    )
    assert second.status_code == 302 and Payment.objects.count() == 2


def test_abandoned_leaves_the_invoice_payable(client, payfip_world):
    payment = regler(client, payfip_world)
    payfip_world.payfip.finish(payment.order_id, "A", minutes_ago=5)
    page = plain(back(client, payment))
    assert "Vous avez abandonné le paiement." in page
    assert Payment.objects.get().status == PaymentStatus.ABANDONED
    assert invoice_of(payfip_world).status == InvoiceStatus.OPEN


def test_an_abandon_in_its_first_minutes_is_still_waiting(client, payfip_world):
    # PayFiP may still turn a fresh « A » into a payment: eopayment waits two minutes.
    payment = regler(client, payfip_world)
    payfip_world.payfip.finish(payment.order_id, "A", minutes_ago=0)
    assert "en cours de vérification" in plain(back(client, payment))
    assert Payment.objects.get().status == PaymentStatus.WAITING


def test_an_unknown_result_then_paid_is_settled_by_the_periodic_job(client, payfip_world):
    payment = regler(client, payfip_world)
    notify(client, payment.order_id)  # PayFiP does not know yet (P5)
    assert "Votre paiement est en cours de vérification." in plain(back(client, payment))
    payment.refresh_from_db()
    assert (payment.status, payment.checks) == (PaymentStatus.WAITING, 2)
    assert invoice_of(payfip_world).status == InvoiceStatus.OPEN

    payfip_world.payfip.finish(payment.order_id, "P")
    now = timezone.now()
    assert payments_waiting_resolve(now=now) == {"checked": 0, "settled": 0, "expired": 0}
    Payment.objects.update(
        created_at=now - datetime.timedelta(minutes=10),
        last_checked_at=now - datetime.timedelta(minutes=5),
    )
    assert payments_waiting_resolve(now=now) == {"checked": 1, "settled": 1, "expired": 0}
    assert invoice_of(payfip_world).status == InvoiceStatus.PAID
    assert "Réglée le" in plain(
        client.get(reverse("billing:invoices", args=["flandre-interieure"]))
    )


def test_the_periodic_command_settles_waiting_payments(client, payfip_world, capsys):
    payment = regler(client, payfip_world)
    payfip_world.payfip.finish(payment.order_id, "P")
    Payment.objects.update(created_at=timezone.now() - datetime.timedelta(minutes=10))
    call_command("periodic")
    assert "payments: 1 checked, 1 settled, 0 expired" in capsys.readouterr().out
    assert invoice_of(payfip_world).status == InvoiceStatus.PAID


def test_expired_at_payfip(client, payfip_world):
    payment = regler(client, payfip_world)
    # Still unknown (P5) more than two hours after it started: it will never be paid.
    Payment.objects.update(created_at=timezone.now() - datetime.timedelta(hours=3))
    notify(client, payment.order_id)
    assert Payment.objects.get().status == PaymentStatus.EXPIRED
    assert "n'a pas abouti dans le délai prévu" in plain(back(client, payment))
    assert invoice_of(payfip_world).status == InvoiceStatus.OPEN


def test_forgotten_by_payfip_overnight_is_expired_by_the_periodic_job(client, payfip_world):
    payment = regler(client, payfip_world)
    payfip_world.payfip.operations[payment.order_id].forgotten = True  # P1
    Payment.objects.update(created_at=timezone.now() - datetime.timedelta(minutes=10))
    assert payments_waiting_resolve()["settled"] == 1
    assert Payment.objects.get().status == PaymentStatus.EXPIRED


def test_payfip_unreachable_keeps_waiting_then_expires_after_a_day(client, payfip_world):
    payment = regler(client, payfip_world)
    payfip_world.payfip.down = True
    now = timezone.now()
    Payment.objects.update(created_at=now - datetime.timedelta(minutes=10))
    assert payments_waiting_resolve(now=now)["checked"] == 1
    payment.refresh_from_db()
    assert (payment.status, payment.checks) == (PaymentStatus.WAITING, 1)
    Payment.objects.update(
        created_at=now - datetime.timedelta(days=2),
        last_checked_at=now - datetime.timedelta(hours=2),
    )
    assert payments_waiting_resolve(now=now) == {"checked": 1, "settled": 0, "expired": 1}
    assert Payment.objects.get().status == PaymentStatus.EXPIRED


def test_a_late_payment_after_the_portal_expired_it_still_pays_the_invoice(client, payfip_world):
    payment = regler(client, payfip_world)
    Payment.objects.update(status=PaymentStatus.EXPIRED)
    payfip_world.payfip.finish(payment.order_id, "P")
    notify(client, payment.order_id)
    assert Payment.objects.get().status == PaymentStatus.PAID
    assert invoice_of(payfip_world).status == InvoiceStatus.PAID


def test_duplicate_notifications_change_nothing_twice(client, payfip_world):
    payment = regler(client, payfip_world)
    payfip_world.payfip.finish(payment.order_id, "P")
    for _ in range(3):
        assert notify(client, payment.order_id).status_code == 200
    back(client, payment)
    payment.refresh_from_db()
    invoice = invoice_of(payfip_world)
    assert payment.status == PaymentStatus.PAID and payment.checks == 1
    assert invoice.status == InvoiceStatus.PAID
    first_paid_at = invoice.paid_at
    calls = len(payfip_world.payfip.calls)
    notify(client, payment.order_id)
    assert invoice_of(payfip_world).paid_at == first_paid_at
    # A settled payment is not asked about again.
    assert len(payfip_world.payfip.calls) == calls


def test_out_of_order_notifications_keep_the_first_final_word(client, payfip_world):
    payment = regler(client, payfip_world)
    payfip_world.payfip.finish(payment.order_id, "R")
    notify(client, payment.order_id)
    # A late, contradictory answer for the same operation changes nothing.
    payfip_world.payfip.finish(payment.order_id, "A")
    notify(client, payment.order_id)
    assert Payment.objects.get().status == PaymentStatus.REFUSED
    assert invoice_of(payfip_world).status == InvoiceStatus.OPEN


def test_the_notification_trusts_only_the_status_call(client, payfip_world):
    payment = regler(client, payfip_world)
    response = client.post(NOTIFY, {"idOp": payment.order_id, "resultrans": "P", "montant": "8794"})
    assert response.status_code == 200
    assert Payment.objects.get().status == PaymentStatus.WAITING  # PayFiP still says P5
    assert invoice_of(payfip_world).status == InvoiceStatus.OPEN


def test_a_notification_for_an_unknown_operation_is_a_404(client, payfip_world, caplog):
    with caplog.at_level(logging.WARNING):
        assert notify(client, "inconnu-0000").status_code == 404
        assert client.post(NOTIFY, {}).status_code == 404
        assert notify(client, "x" * 500).status_code == 404
    assert "unknown operation 'inconnu-0000'" in caplog.text
    assert client.get(NOTIFY).status_code == 405


def test_an_invoice_already_paid_is_never_paid_twice(client, payfip_world, caplog):
    first = regler(client, payfip_world)
    # The resident pays twice in two tabs: the second operation opened while the first
    # was still waiting (expired by the portal, still payable at PayFiP).
    Payment.objects.update(status=PaymentStatus.EXPIRED)
    second = regler(client, payfip_world)
    payfip_world.payfip.finish(first.order_id, "P")
    payfip_world.payfip.finish(second.order_id, "P")
    notify(client, first.order_id)
    with caplog.at_level(logging.ERROR):
        notify(client, second.order_id)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == PaymentStatus.PAID
    assert second.status == PaymentStatus.DUPLICATE and second.paid_at is not None
    assert "recorded as paid twice, to refund" in caplog.text
    invoice = invoice_of(payfip_world)
    assert invoice.status == InvoiceStatus.PAID and invoice.paid_at == first.paid_at
    page = plain(back(client, second))
    assert "mais la facture 2300240069928 était déjà réglée" in page


def test_payfip_unreachable_when_regler_changes_nothing(client, payfip_world):
    payfip_world.payfip.down = True
    client.force_login(payfip_world.user)
    response = client.post(
        reverse("payments:pay", args=["flandre-interieure", payfip_world.invoice.pk]), follow=True
    )
    assert "Le service de paiement ne répond pas pour le moment" in plain(response)
    assert Payment.objects.get().status == PaymentStatus.EXPIRED
    assert invoice_of(payfip_world).status == InvoiceStatus.OPEN
    assert "Régler" in plain(response)  # still offered
