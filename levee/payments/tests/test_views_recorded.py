"""« Enregistrer un règlement » on the back office's invoice page: a « Facturation » agent
records a cheque, cash, a transfer…; each bad input is told in French next to its field,
nothing recorded; another authority's invoice is a 404; the resident then sees « Réglée
le … » or « Reste à payer : … » in « Mes factures » and on the payment's page."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from levee.agents.models import Agent
from levee.agents.roles import AgentRole
from levee.audit.models import AuditEntry
from levee.billing.models import Invoice, InvoiceStatus
from levee.mailing.models import OutboxMessage
from levee.payments.models import Payment, PaymentChannel, PaymentMethod, PaymentStatus
from levee.payments.recorded import payment_record
from levee.payments.services import payment_start
from testkit import make_user, pilat_world

from .conftest import plain

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


@pytest.fixture
def billing(world):
    user = make_user("facturation@flandre.example.org")
    Agent.objects.create(authority=world.authority, user=user, role=AgentRole.FACTURATION)
    world.agent = user
    return world


def page_url(invoice):
    return reverse("billing_bo:invoice_detail", args=[invoice.pk])


def record_url(invoice):
    return reverse("billing_bo:payment_record", args=[invoice.pk])


def post(client, world, **data):
    values = {
        "method": "cheque",
        "paid_on": TODAY.isoformat(),
        "reference": "0001234",
        "amount": "87,94",
        **data,
    }
    client.force_login(world.agent)
    return client.post(record_url(world.invoice), values)


def error_of(response, field: str) -> str:
    """The error paragraph tied to the field (its aria-describedby)."""
    html = response.content.decode()
    match = re.search(rf'<p class="error" id="id_{field}_error">(.*?)</p>', html, re.S)
    assert match, f"no error next to {field}"
    assert 'aria-describedby="' in html
    return plain(match.group(1))


def test_the_agent_records_a_cheque_and_the_invoice_is_paid(client, billing):
    client.force_login(billing.agent)
    page = plain(client.get(page_url(billing.invoice)))
    assert "Enregistrer un règlement" in page
    assert "Aucun règlement reçu : reste à payer 87,94 €." in page
    response = post(client, billing)
    assert response.status_code == 302 and response.url == page_url(billing.invoice)
    page = plain(client.get(response.url))
    assert "Règlement de 87,94 € enregistré : la facture 2300240069928 est réglée." in page
    assert f"Facture réglée le {TODAY:%d/%m/%Y} : 87,94 € reçus." in page
    assert "Enregistré par un agent (facturation@flandre.example.org) Chèque 0001234" in page
    invoice = Invoice.objects.get(pk=billing.invoice.pk)
    assert invoice.status == InvoiceStatus.PAID
    assert AuditEntry.objects.filter(action="payment.record", actor=billing.agent).count() == 1
    assert OutboxMessage.objects.filter(template="payment_receipt").count() == 1


@pytest.mark.parametrize(
    "data, field, message",
    [
        ({"amount": "0"}, "amount", "Le montant doit être supérieur à 0,00 €."),
        ({"amount": "-12,00"}, "amount", "Le montant ne peut pas être négatif."),
        ({"amount": "douze"}, "amount", "Saisissez un montant en euros, par exemple 87,94."),
        ({"amount": ""}, "amount", "Indiquez le montant du règlement."),
        (
            {"paid_on": (TODAY + datetime.timedelta(days=1)).isoformat()},
            "paid_on",
            "La date du règlement ne peut pas être dans le futur",
        ),
        ({"paid_on": "31/02/2026"}, "paid_on", "Saisissez une date valide"),
        ({"reference": ""}, "reference", "Indiquez la référence du règlement"),
        (
            {"method": "virement", "reference": "  "},
            "reference",
            "Indiquez la référence du règlement",
        ),
        ({"method": ""}, "method", "Choisissez le mode de règlement."),
        ({"method": "carte"}, "method", "Choisissez le mode de règlement dans la liste."),
    ],
)
def test_each_bad_input_is_told_next_to_its_field(client, billing, data, field, message):
    response = post(client, billing, **data)
    assert response.status_code == 400
    assert message in error_of(response, field)
    assert not Payment.objects.exists()
    assert Invoice.objects.get(pk=billing.invoice.pk).status == InvoiceStatus.OPEN


def test_cash_needs_no_reference(client, billing):
    response = post(client, billing, method="especes", reference="", amount="20,00")
    assert response.status_code == 302
    page = plain(client.get(response.url))
    assert "Règlement de 20,00 € enregistré : il reste 67,94 € à payer." in page
    assert "Réglé : 20,00 € sur 87,94 €. Reste à payer : 67,94 €" in page


def test_a_cancelled_invoice_is_refused_with_a_message(client, billing):
    Invoice.objects.filter(pk=billing.invoice.pk).update(status=InvoiceStatus.CANCELLED)
    client.force_login(billing.agent)
    assert "Facture annulée : aucun règlement ne peut y être enregistré." in plain(
        client.get(page_url(billing.invoice))
    )
    response = post(client, billing)
    assert response.status_code == 400
    assert (
        "La facture 2300240069928 est annulée : aucun règlement ne peut y être enregistré."
        in plain(response)
    )
    assert not Payment.objects.exists()


def test_the_same_cheque_twice_is_refused_and_an_excess_is_flagged(client, billing):
    post(client, billing, amount="50,00")
    response = post(client, billing, amount="50,00")
    assert response.status_code == 400
    assert "Ce règlement est déjà enregistré sur la facture 2300240069928" in plain(response)
    response = post(client, billing, amount="50,00", reference="0001235")
    page = plain(client.get(response.url))
    assert "Trop-perçu de 12,06 € : les règlements dépassent le montant de la facture." in page
    to_check = plain(client.get(reverse("billing_bo:payments_to_check")))
    assert "Trop-perçu de 12,06 € (les règlements dépassent la facture de 87,94 €)" in to_check
    assert "chèque n° 0001235" in to_check


def test_only_the_roles_that_bill_see_the_form(client, billing):
    reader = make_user("lecture@flandre.example.org")
    Agent.objects.create(authority=billing.authority, user=reader, role=AgentRole.CONSULTATION)
    client.force_login(reader)
    assert "Enregistrer le règlement" not in plain(client.get(page_url(billing.invoice)))
    response = client.post(record_url(billing.invoice), {"method": "cheque"})
    assert response.status_code == 403
    assert not Payment.objects.exists()


def test_an_invoice_of_another_authority_is_a_404(client, billing):
    pilat, _ = pilat_world()
    other = make_user("facturation@pilat.example.org")
    Agent.objects.create(authority=pilat, user=other, role=AgentRole.ADMINISTRATEUR)
    client.force_login(other)
    response = client.post(
        record_url(billing.invoice),
        {"method": "cheque", "paid_on": TODAY.isoformat(), "reference": "1", "amount": "1,00"},
    )
    assert response.status_code == 404
    assert not Payment.objects.exists()


# The resident's side


def invoices_page(client, world):
    client.force_login(world.user)
    return plain(client.get(reverse("billing:invoices", args=["flandre-interieure"])))


def test_the_resident_sees_what_is_left_then_the_day_it_was_settled(client, billing, settings):
    settings.PAYMENT_SANDBOX_ONLY = True
    payment_record(
        invoice=billing.invoice,
        method=PaymentMethod.TRANSFER,
        paid_on=TODAY - datetime.timedelta(days=3),
        reference="VIR-77",
        amount_cents=8794 - 1234,
        by=billing.agent,
    )
    page = invoices_page(client, billing)
    assert "Reste à payer : 12,34 €" in page
    assert "Régler la facture 2300240069928" in page
    # « Régler » pays the rest.
    response = client.post(reverse("payments:pay", args=["flandre-interieure", billing.invoice.pk]))
    assert response.status_code == 302
    online = Payment.objects.get(channel=PaymentChannel.ONLINE)
    assert online.amount_cents == 1234
    Payment.objects.filter(pk=online.pk).update(status=PaymentStatus.ABANDONED)

    payment_record(
        invoice=billing.invoice,
        method=PaymentMethod.CASH,
        paid_on=TODAY,
        reference="",
        amount_cents=1234,
        by=billing.agent,
    )
    page = invoices_page(client, billing)
    assert f"Réglée le {TODAY:%d/%m/%Y}" in page
    assert "Reste à payer" not in page


def test_the_payment_page_tells_what_is_left(client, billing, settings):
    settings.PAYMENT_SANDBOX_ONLY = True
    payment_record(
        invoice=billing.invoice,
        method=PaymentMethod.CHEQUE,
        paid_on=TODAY,
        reference="C-1",
        amount_cents=5000,
        by=billing.agent,
    )
    payment_start(invoice=billing.invoice, email="dupont59@gmail.com", today=TODAY)
    online = Payment.objects.get(channel=PaymentChannel.ONLINE)
    client.force_login(billing.user)
    page = plain(client.get(reverse("payments:result", args=["flandre-interieure", online.pk])))
    assert "Reste à payer : 37,94 € sur 87,94 € (50,00 € déjà reçus)." in page


def test_a_recorded_cheque_is_in_the_payments_received(client, billing):
    post(client, billing)
    response = client.get(
        reverse("billing_bo:payments_csv"),
        {"start": TODAY.isoformat(), "end": TODAY.isoformat()},
    )
    rows = b"".join(response.streaming_content).decode().splitlines()
    assert rows[1] == (
        f"{TODAY:%d/%m/%Y};12:00;2300240069928;00001;87,94;Chèque;0001234;Enregistré par un agent;"
    )


def test_restes_a_recouvrer_and_the_reminder_count_what_is_left(client, billing):
    from levee.billing.services_dunning import DEFAULT_AFTER, invoice_reminders_send

    Invoice.objects.filter(pk=billing.invoice.pk).update(
        due_on=TODAY - datetime.timedelta(days=DEFAULT_AFTER)
    )
    payment_record(
        invoice=billing.invoice,
        method=PaymentMethod.CHEQUE,
        paid_on=TODAY,
        reference="C-9",
        amount_cents=8000,
        by=billing.agent,
    )
    client.force_login(billing.agent)
    page = plain(client.get(reverse("billing_bo:outstanding")))
    assert "7,94 € reste dû sur 87,94 €" in page
    csv = b"".join(client.get(reverse("billing_bo:outstanding_csv")).streaming_content).decode()
    assert ";7,94;non" in csv.splitlines()[1]
    assert "87,94" not in csv.splitlines()[1]
    assert (
        plain(client.get(reverse("billing_bo:outstanding"), {"montant_min": "10"})).count(
            "2300240069928"
        )
        == 0
    )
    invoice_reminders_send(today=TODAY)
    [reminder] = OutboxMessage.objects.filter(template="invoice_reminder")
    body = reminder.body_text.replace("\u00a0", " ").replace("\u202f", " ")
    assert "Nous en avons reçu 80,00 € à ce jour : il en reste une partie à régler." in body
    assert "Montant à régler : 7,94 €" in body


def test_the_account_page_offers_to_record_and_shows_a_part_paid(client, billing):
    post(client, billing, amount="50,00")
    page = plain(client.get(reverse("backoffice:account_detail", args=[billing.account.pk])))
    assert (
        "À régler 50,00 € reçus, reste 37,94 € Enregistrer un règlement : facture 2300240069928"
        in (page)
    )
    assert "Chèque 50,00 €" in page  # « Derniers règlements »
