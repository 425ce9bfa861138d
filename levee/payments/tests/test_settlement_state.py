"""Where an invoice's settlement stands (payments.selectors.settlement_state), and the
« Règlement » cell that shows it in Mes factures."""

import datetime

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils import timezone

from levee.billing.models import BillingSettings, InvoiceStatus
from levee.payments.models import GatewayName, Payment, PaymentSettings, PaymentStatus
from levee.payments.selectors import (
    Settlement,
    invoices_annotate_settlement,
    settlement_state,
)

from .conftest import make_invoice, make_payment, plain

pytestmark = pytest.mark.django_db

DUE = datetime.date(2023, 8, 1)


@pytest.fixture
def invoice(world):
    world.invoice.due_on = DUE
    world.invoice.save(update_fields=["due_on"])
    return world.invoice


def state(invoice, today, **kwargs):
    return settlement_state(invoice, today=today, **kwargs).state


def test_an_open_invoice_is_payable_until_thirty_days_after_its_due_date(invoice):
    assert state(invoice, DUE) == Settlement.PAYABLE
    assert state(invoice, DUE + datetime.timedelta(days=30)) == Settlement.PAYABLE
    closed = settlement_state(invoice, today=DUE + datetime.timedelta(days=31))
    assert closed.state == Settlement.CLOSED
    assert closed.closes_on == datetime.date(2023, 8, 31)


def test_the_grace_days_come_from_the_authoritys_billing_settings(invoice, world):
    BillingSettings.objects.create(authority=world.authority, online_payment_grace_days=5)
    invoice.authority.refresh_from_db()
    assert state(invoice, DUE + datetime.timedelta(days=5)) == Settlement.PAYABLE
    assert state(invoice, DUE + datetime.timedelta(days=6)) == Settlement.CLOSED


def test_a_paid_invoice_is_paid_even_after_the_closing_date(invoice):
    invoice.status, invoice.paid_at = InvoiceStatus.PAID, timezone.now()
    assert state(invoice, DUE + datetime.timedelta(days=400)) == Settlement.PAID


def test_a_debited_invoice_is_never_offered_for_payment(invoice):
    invoice.direct_debit = True
    assert state(invoice, DUE) == Settlement.DEBITED


def test_a_waiting_payment_shows_as_being_checked(invoice, world):
    payment = make_payment(invoice)
    assert state(invoice, DUE) == Settlement.WAITING
    annotated = invoices_annotate_settlement(type(invoice).objects.filter(pk=invoice.pk)).get()
    assert annotated.waiting_payment_since == payment.created_at
    assert state(annotated, DUE) == Settlement.WAITING


def test_a_final_payment_leaves_the_invoice_payable(invoice, world):
    for status in (PaymentStatus.REFUSED, PaymentStatus.ABANDONED, PaymentStatus.EXPIRED):
        make_payment(invoice, status=status)
    assert state(invoice, DUE) == Settlement.PAYABLE


def test_a_cancelled_or_zero_invoice_has_nothing_to_pay(invoice, world):
    invoice.status = InvoiceStatus.CANCELLED
    assert state(invoice, DUE) == Settlement.NOTHING_DUE
    zero = make_invoice(world.account, number="2300240069929", total_cents=0)
    assert state(zero, zero.due_on) == Settlement.NOTHING_DUE


def cell(invoice, authority, **context) -> str:
    request = RequestFactory().get("/")
    return plain(
        render_to_string(
            "payments/_settlement_cell.html",
            {"invoice": invoice, "authority": authority, **context},
            request=request,
        )
    )


def test_the_cell_says_when_the_invoice_was_paid(world):
    invoice = world.invoice
    invoice.status = InvoiceStatus.PAID
    invoice.paid_at = datetime.datetime(2023, 7, 12, 22, 30, tzinfo=datetime.UTC)
    assert cell(invoice, world.authority) == "Réglée le 13/07/2023"  # Paris time


def test_the_cell_offers_regler_with_the_invoice_reference(world):
    html = render_to_string(
        "payments/_settlement_cell.html",
        {"invoice": world.invoice, "authority": world.authority},
        request=RequestFactory().get("/"),
    )
    assert f"/flandre-interieure/espace/mes-factures/{world.invoice.pk}/regler/" in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert plain(html) == "Régler la facture 2300240069928"


def test_the_cell_says_when_a_debited_invoice_is_debited(world):
    world.invoice.direct_debit = True
    world.invoice.due_on = DUE
    assert cell(world.invoice, world.authority) == "Prélèvement le 01/08/2023"


def test_the_cell_says_whom_to_pay_once_online_payment_is_closed(world):
    world.authority.payment_recipient_address = "6 rue de la Sous-Préfecture 59190 Hazebrouck"
    world.authority.payment_recipient_phone = "03 28 41 00 00"
    world.invoice.due_on = timezone.localdate() - datetime.timedelta(days=31)
    assert cell(world.invoice, world.authority) == (
        f"Paiement en ligne clos depuis le {world.invoice.due_on + datetime.timedelta(days=30):%d/%m/%Y}. "
        "Réglez cette facture auprès de Service de gestion comptable d'Hazebrouck, "
        "6 rue de la Sous-Préfecture 59190 Hazebrouck, tél. 03 28 41 00 00."
    )


def test_the_cell_says_a_started_payment_is_being_checked_and_until_when(world):
    payment = make_payment(world.invoice)
    started = timezone.localtime(payment.created_at)
    until = started + datetime.timedelta(days=1)
    assert cell(world.invoice, world.authority) == (
        f"Paiement commencé le {started:%d/%m/%Y à %H:%M}, en cours de vérification jusqu'au "
        f"{until:%d/%m/%Y à %H:%M} au plus tard. "
        "Reprendre le paiement de la facture 2300240069928 "
        "Abandonner le paiement de la facture 2300240069928"
    )


def test_the_cell_leaves_a_waiting_payment_to_the_resident_when_acting_on_behalf(world):
    make_payment(world.invoice)
    assert cell(world.invoice, world.authority, on_behalf=True).endswith(
        "au plus tard. À reprendre ou abandonner par l'usager"
    )


def test_the_cell_offers_no_button_to_an_agent_acting_on_behalf(world):
    assert cell(world.invoice, world.authority, on_behalf=True) == "À régler par l'usager"


# --- Production: the sandbox takes no money ----------------------------------------------


@pytest.fixture
def production(settings):
    settings.PAYMENT_SANDBOX_ALLOWED = False
    settings.PAYMENT_SANDBOX_ONLY = False


def test_in_production_an_authority_left_on_the_sandbox_offers_no_online_payment(
    invoice, production
):
    offline = settlement_state(invoice, today=DUE)
    assert offline.state == Settlement.OFFLINE and not offline.payable
    html = plain(
        render_to_string(
            "payments/_settlement_cell.html",
            {"invoice": invoice, "authority": invoice.authority},
            request=RequestFactory().get("/"),
        )
    )
    assert "Paiement en ligne non proposé" in html and "Régler" not in html


def test_in_production_an_authority_on_payfip_is_payable(invoice, world, production):
    PaymentSettings.objects.create(
        authority=world.authority, gateway=GatewayName.PAYFIP, payfip_numcli="123456"
    )
    assert state(invoice, DUE) == Settlement.PAYABLE


def test_in_production_regler_is_refused_and_the_sandbox_screens_are_gone(
    client, world, invoice, production
):
    client.force_login(world.user)
    response = client.post(f"/flandre-interieure/espace/mes-factures/{invoice.pk}/regler/")
    assert not Payment.objects.exists()
    assert "Le paiement en ligne n'est pas proposé" in plain(client.get(response["Location"]))
    assert client.get("/paiement-test/anything/").status_code == 404
