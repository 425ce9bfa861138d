"""The sandbox gateway's screens (/paiement-test/…): the debt, the choice of payment, the
card; the two test cards, bad input next to its field, « Annuler », « Payer par
prélèvement »; then the portal is notified and the browser sent back."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from levee.billing.models import BillingSettings, Invoice, InvoiceStatus
from levee.payments.models import Payment, PaymentMethod, PaymentStatus, SandboxTransaction

from .conftest import plain

pytestmark = pytest.mark.django_db

CARD = {
    "card_number": "4000009999999999",
    "expiry_month": "01",
    "expiry_year": "2023",
    "cvv": "123",
}


@pytest.fixture
def started(client, world, settings):
    settings.PAYMENT_SANDBOX_ONLY = True
    client.force_login(world.user)
    client.post(reverse("payments:pay", args=["flandre-interieure", world.invoice.pk]))
    world.sandbox = SandboxTransaction.objects.get()
    world.payment = Payment.objects.get()
    world.debt_url = reverse("payments:sandbox_debt", args=[world.sandbox.idop])
    world.card_url = reverse("payments:sandbox_card", args=[world.sandbox.idop])
    world.debit_url = reverse("payments:sandbox_debit", args=[world.sandbox.idop])
    return world


def invoice_status(world):
    return Invoice.objects.get(pk=world.invoice.pk).status


def test_the_first_screen_shows_the_debt_and_the_choice_of_payment(client, started):
    page = plain(client.get(started.debt_url))
    assert "Environnement de démonstration : aucun paiement réel n'est effectué" in page
    assert "Informations sur la dette" in page
    assert "Collectivité : CCFI" in page
    assert "Référence de la dette : 2300240069928" in page
    assert "Montant : 87,94 €" in page
    assert "Adresse électronique : dupont59@gmail.com" in page
    assert "Choix du mode de paiement" in page
    assert "Payer par prélèvement" in page and "Payer par carte bancaire" in page
    for state_symbol in ("RÉPUBLIQUE FRANÇAISE", "Marianne", "Liberté"):
        assert state_symbol not in page


def test_the_card_screen_shows_the_transaction(client, started):
    BillingSettings.objects.create(authority=started.authority, treasury_name="TRES. HAZEBROUCK")
    page = plain(client.get(started.card_url))
    assert "Montant de la transaction : 87,94 €" in page
    assert "Référence commande : 20232300240069928" in page
    assert "Comptable : TRES. HAZEBROUCK" in page
    assert "Cas de paiement : Paiement unique" in page
    assert "E-mail : dupont59@gmail.com" in page
    for label in ("Numéro de carte", "Date d'expiration", "Mois", "Année", "Cryptogramme visuel"):
        assert label in page
    assert "Valider" in page and "Annuler" in page


def test_without_a_treasury_the_comptable_is_the_payment_recipient(client, started):
    page = plain(client.get(started.card_url))
    assert "Comptable : Service de gestion comptable d'Hazebrouck" in page


def test_the_accepted_card_pays_the_invoice_whatever_the_expiry_date(client, started):
    response = client.post(started.card_url, CARD)
    assert response.status_code == 302
    assert response.url == started.sandbox.return_url
    payment = Payment.objects.get()
    assert (payment.status, payment.method) == (PaymentStatus.PAID, PaymentMethod.CARD)
    assert invoice_status(started) == InvoiceStatus.PAID
    page = plain(client.get(response.url, follow=True))
    assert "Votre paiement de 87,94 € est accepté." in page


def test_the_refused_card_leaves_the_invoice_payable(client, started):
    response = client.post(started.card_url, {**CARD, "card_number": "4000 0000 0000 0002"})
    page = plain(client.get(response.url, follow=True))
    assert "Votre paiement a été refusé." in page
    assert Payment.objects.get().status == PaymentStatus.REFUSED
    assert invoice_status(started) == InvoiceStatus.OPEN


def test_payer_par_prelevement_pays_by_debit(client, started):
    response = client.post(started.debit_url)
    assert response.url == started.sandbox.return_url
    assert Payment.objects.get().method == PaymentMethod.DEBIT
    assert Invoice.objects.get(pk=started.invoice.pk).paid_by == "prelevement"


def test_annuler_abandons_the_payment(client, started):
    response = client.post(started.card_url, {"annuler": ""})
    page = plain(client.get(response.url, follow=True))
    assert "Vous avez abandonné le paiement." in page
    assert Payment.objects.get().status == PaymentStatus.ABANDONED
    assert invoice_status(started) == InvoiceStatus.OPEN


@pytest.mark.parametrize(
    "changes, field, message",
    [
        (
            {"card_number": "4111111111111111"},
            "card_number",
            "Numéro de carte inconnu de l'environnement de démonstration",
        ),
        ({"card_number": ""}, "card_number", "Saisissez le numéro de carte."),
        ({"expiry_month": "13"}, "expiry_month", "Sélectionnez un choix valide."),
        ({"expiry_month": ""}, "expiry_month", "Choisissez le mois."),
        ({"expiry_year": "23"}, "expiry_year", "Sélectionnez un choix valide."),
        ({"cvv": "12a"}, "cvv", "Le cryptogramme visuel compte 3 chiffres."),
        ({"cvv": ""}, "cvv", "Saisissez le cryptogramme visuel."),
    ],
)
def test_bad_card_input_is_told_next_to_its_field(client, started, changes, field, message):
    response = client.post(started.card_url, {**CARD, **changes})
    html = response.content.decode()
    assert response.status_code == 400
    assert f'id="id_{field}_error"' in html
    assert f'aria-describedby="id_{field}' in html and 'aria-invalid="true"' in html
    assert message in plain(response)
    assert SandboxTransaction.objects.get().result == ""
    assert Payment.objects.get().status == PaymentStatus.WAITING


def test_a_finished_operation_takes_no_second_answer(client, started):
    client.post(started.card_url, {**CARD, "card_number": "4000000000000002"})
    for url, data in ((started.card_url, CARD), (started.debit_url, {}), (started.debt_url, None)):
        response = client.post(url, data) if data is not None else client.get(url)
        assert response.status_code == 410
        assert "Cette opération de paiement (2300240069928) est terminée" in plain(response)
    assert Payment.objects.get().status == PaymentStatus.REFUSED
    assert invoice_status(started) == InvoiceStatus.OPEN


def test_an_operation_left_open_expires(client, started):
    SandboxTransaction.objects.update(created_at=timezone.now() - datetime.timedelta(minutes=21))
    assert client.post(started.card_url, CARD).status_code == 410
    assert client.get(started.debt_url).status_code == 410
    page = plain(client.get(started.sandbox.return_url, follow=True))
    assert "n'a pas abouti dans le délai prévu" in page
    assert invoice_status(started) == InvoiceStatus.OPEN


def test_an_unknown_operation_is_a_404(client, started):
    for name in ("sandbox_debt", "sandbox_card"):
        assert client.get(reverse(f"payments:{name}", args=["inconnu"])).status_code == 404
    assert client.post(reverse("payments:sandbox_debit", args=["x" * 300])).status_code == 404
    assert client.get(started.debit_url).status_code == 405
