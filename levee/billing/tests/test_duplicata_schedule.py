"""Issue 12, item 5 follow-up: the invoice's PDF as issued gives the échéancier its debits
were planned on (not « à partir du » its due date), an invoice paid by direct debit never
asks the resident to pay nor to quote its reference with a payment, and the duplicata of an
invoice past its due date and unpaid says it is overdue and how to pay it now."""

import datetime
import re
from html import unescape

import pytest
from django.template.loader import render_to_string
from django.utils import timezone

from levee.billing.models import BillingSettings, Invoice
from levee.billing.pdf import invoice_pdf_context
from levee.lib.templatetags.levee_format import day_fr
from levee.payments.mandates import invoices_debit_plan
from levee.payments.models import DebitSchedule, Mandate, ScheduledDebit
from testkit import ccfi_world

from .factories import make_invoice, make_seed_invoice

pytestmark = pytest.mark.django_db

SECOND_HALF_2026 = (datetime.date(2026, 7, 1), datetime.date(2026, 12, 31))


def pdf_text(invoice, **options) -> str:
    html = render_to_string("billing/invoice_pdf.html", invoice_pdf_context(invoice, **options))
    return re.sub(r"[ \t\n]+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def payment_part(text: str) -> str:
    """What the PDF says after the totals, up to the appeal text."""
    return text.split("Total TTC")[-1].split("Voies et délais de recours")[0]


@pytest.fixture
def martin(db):
    authority, account = ccfi_world()
    return account


def mandate_of(account, schedule) -> Mandate:
    return Mandate.objects.create(
        authority=account.authority,
        account=account,
        rum="RUM-00240-00001-1",
        creditor_identifier="FR12ZZZ123456",
        schedule=schedule,
        holder_name="Marie MARTIN",
        iban="FR7630006000011234567890189",
        bic="AGRIFRPPXXX",
        signed_on=datetime.date(2026, 11, 20),
    )


def monthly_invoice(account) -> Invoice:
    """The invoice of the 2nd half of 2026 (99,58 €, issued 3 December, due 2 January 2027),
    planned on her monthly mandate: six debits from 10 January to 10 June 2027."""
    mandate_of(account, DebitSchedule.MONTHLY)
    invoice = make_invoice(
        account,
        number="2600240000233",
        issued_on=datetime.date(2026, 12, 3),
        due_on=datetime.date(2027, 1, 2),
        period=SECOND_HALF_2026,
        total_cents=9958,
    )
    assert invoices_debit_plan(invoices=[invoice], today=datetime.date(2026, 12, 3)) == 1
    invoice.refresh_from_db()
    return invoice


def test_the_kept_pdf_of_a_monthly_debited_invoice_gives_its_echeancier(martin):
    invoice = monthly_invoice(martin)
    planned = list(ScheduledDebit.objects.filter(invoice=invoice).order_by("due_on"))
    assert [d.due_on for d in planned] == [datetime.date(2027, m, 10) for m in range(1, 7)]

    text = pdf_text(invoice)

    assert "DUPLICATA" not in text and "Règlement au" not in text
    part = payment_part(text)
    assert "Montant prélevé : 99,58\u00a0€ " in part
    assert "Cette somme sera prélevée sur votre compte bancaire en 6 fois" in part
    cents = ["16,60", "16,60", "16,60", "16,60", "16,59", "16,59"]
    assert (
        " ".join(f"le {day_fr(d.due_on)} : {c}\u00a0€" for d, c in zip(planned, cents, strict=True))
        in part
    )
    assert "le 10 janvier 2027 : 16,60\u00a0€" in part and "le 10 juin 2027 : 16,59\u00a0€" in part
    assert "Vous n'avez rien à faire." in part
    assert "à partir du" not in part and "2 janvier 2027" not in part
    assert "Montant à payer" not in part and "avant le" not in part
    assert "Rappelez la référence" not in part and "Régler" not in part


def test_the_kept_pdf_stays_as_issued_once_debits_are_taken(martin):
    invoice = monthly_invoice(martin)
    first = ScheduledDebit.objects.filter(invoice=invoice).order_by("due_on").first()
    taken_on = timezone.localdate() - datetime.timedelta(days=5)
    ScheduledDebit.objects.filter(pk=first.pk).update(due_on=taken_on)

    kept = payment_part(pdf_text(invoice))
    assert "Montant prélevé : 99,58\u00a0€ " in kept and "en 6 fois" in kept
    assert f"le {day_fr(taken_on)} : 16,60\u00a0€" in kept and "Prélevée le" not in kept

    duplicata = payment_part(pdf_text(invoice, duplicata=True))
    assert f"Prélevée le {day_fr(taken_on)} : 16,60\u00a0€." in duplicata
    assert "Reste à prélever : 82,98\u00a0€ " in duplicata and "en 5 fois" in duplicata
    assert "Montant à payer" not in duplicata and "Rappelez la référence" not in duplicata


def test_the_duplicata_of_a_monthly_debited_invoice_asks_nothing(martin):
    part = payment_part(pdf_text(monthly_invoice(martin), duplicata=True))
    assert "Prélèvement prévu le 10 janvier 2027 : 16,60\u00a0€." in part
    assert "Montant prélevé : 99,58\u00a0€ " in part and "Vous n'avez rien à faire." in part
    assert "Montant à payer" not in part and "Reste à payer" not in part
    assert "Rappelez la référence" not in part and "Régler" not in part


def test_the_kept_pdf_of_an_invoice_debited_at_its_due_date_gives_that_day(martin):
    mandate_of(martin, DebitSchedule.PER_INVOICE)
    invoice = make_seed_invoice(martin, due_on=datetime.date(2023, 8, 1))
    assert invoices_debit_plan(invoices=[invoice], today=datetime.date(2023, 7, 2)) == 1
    invoice.refresh_from_db()

    part = payment_part(pdf_text(invoice))

    assert "Montant prélevé : 87,94\u00a0€ " in part
    assert "selon votre mandat de prélèvement SEPA : le 1er août 2023 : 87,94\u00a0€" in part
    assert "Vous n'avez rien à faire." in part
    assert "Montant à payer" not in part and "Rappelez la référence" not in part


def overdue_invoice(account) -> Invoice:
    """Unpaid, due 30 days ago."""
    today = timezone.localdate()
    return make_invoice(
        account,
        number="2600240000002",
        issued_on=today - datetime.timedelta(days=60),
        due_on=today - datetime.timedelta(days=30),
        period=SECOND_HALF_2026,
        total_cents=8794,
    )


def test_the_duplicata_of_an_overdue_invoice_says_so_and_how_to_pay_now(martin):
    BillingSettings.objects.create(authority=martin.authority, online_payment_grace_days=400)
    invoice = overdue_invoice(martin)
    due = day_fr(invoice.due_on)

    part = payment_part(pdf_text(invoice, duplicata=True))

    assert "Cette facture n'est pas encore réglée." in part
    assert f"Échéance dépassée depuis le {due} : à régler dès que possible" in part
    assert "Montant à payer : 87,94\u00a0€ " in part
    assert "cliquez sur « Régler » (carte bancaire ou prélèvement unique) dès que possible." in part
    assert "avant le" not in part
    assert "Rappelez la référence 2600240000002" in part

    kept = payment_part(pdf_text(invoice))
    assert f"Montant à payer : 87,94\u00a0€ avant le {due}" in kept
    assert f"(carte bancaire ou prélèvement unique) avant le {due}." in kept
    assert "dépassée" not in kept and "dès que possible" not in kept


def test_an_overdue_invoice_past_its_online_window_is_paid_to_the_recipient(martin):
    BillingSettings.objects.create(authority=martin.authority, online_payment_grace_days=10)
    invoice = overdue_invoice(martin)

    part = payment_part(pdf_text(invoice, duplicata=True))

    assert f"Échéance dépassée depuis le {day_fr(invoice.due_on)}" in part
    assert "Le paiement en ligne n'est plus ouvert pour cette facture" in part
    assert "auprès du destinataire des paiements" in part
    assert "Régler" not in part and "avant le" not in part


def test_the_duplicata_of_an_invoice_not_yet_due_keeps_its_due_date(martin):
    today = timezone.localdate()
    invoice = make_invoice(
        martin,
        number="2600240000003",
        issued_on=today,
        due_on=today + datetime.timedelta(days=30),
        total_cents=8794,
    )
    part = payment_part(pdf_text(invoice, duplicata=True))
    assert f"Montant à payer : 87,94\u00a0€ avant le {day_fr(invoice.due_on)}" in part
    assert "dépassée" not in part
