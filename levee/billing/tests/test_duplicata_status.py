"""Issue 12, item 5: the PDF kept for an invoice is the invoice as issued (the addresses at
issue, no payment status); the duplicata a resident downloads is rendered on demand from
it, stamped « DUPLICATA » with where its payment stands; the online-payment line gives the
due date, not the end of the authority's long online window."""

import datetime
import re
from html import unescape

import pytest
from django.template.loader import render_to_string
from django.utils import timezone

from levee.billing.models import BillingSettings, Invoice, InvoiceStatus
from levee.billing.pdf import invoice_pdf_context, invoice_pdf_kept
from levee.lib.storage import private_storage
from levee.payments.models import DebitSchedule, Mandate, ScheduledDebit
from testkit import ccfi_world, make_user

from .factories import make_seed_invoice

pytestmark = pytest.mark.django_db


def pdf_text(invoice, **options) -> str:
    html = render_to_string("billing/invoice_pdf.html", invoice_pdf_context(invoice, **options))
    return re.sub(r"[ \t\n]+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


@pytest.fixture
def dupont(db):
    authority, account = ccfi_world()
    return account


def test_the_invoice_keeps_the_collection_address_at_issue(dupont):
    invoice = make_seed_invoice(dupont)
    assert invoice.collection_address == "29 route de Méteren 59270 Bailleul"
    subscription = dupont.subscriptions.get()
    subscription.number = "30"
    subscription.save(update_fields=["number"])
    text = pdf_text(invoice)
    assert "Adresse de collecte : 29 ROUTE DE MÉTEREN 59270 BAILLEUL" in text
    assert "30 ROUTE" not in text


def test_the_kept_pdf_is_as_issued_and_the_duplicata_is_stamped(dupont):
    invoice = make_seed_invoice(dupont)
    issued = pdf_text(invoice)
    assert "DUPLICATA" not in issued
    assert "Montant à payer : 87,94\u00a0€ avant le 01/08/2023" in issued
    duplicata = pdf_text(invoice, duplicata=True)
    assert "DUPLICATA" in duplicata


def test_a_paid_invoice_s_duplicata_says_when_and_how_it_was_paid(dupont):
    paid_at = datetime.datetime(2023, 7, 12, 10, tzinfo=datetime.UTC)
    invoice = make_seed_invoice(dupont, status=InvoiceStatus.PAID, paid_at=paid_at)
    Invoice.objects.filter(pk=invoice.pk).update(paid_by="carte")
    invoice.refresh_from_db()
    text = pdf_text(invoice, duplicata=True)
    assert "Réglée le 12/07/2023 par carte bancaire" in text
    assert "Montant à payer" not in text and "cliquez sur « Régler »" not in text


def test_a_debited_invoice_s_duplicata_lists_its_debits(dupont):
    invoice = make_seed_invoice(dupont, direct_debit=True)
    mandate = Mandate.objects.create(
        authority=dupont.authority,
        account=dupont,
        rum="RUM-00240-00001-1",
        creditor_identifier="FR12ZZZ123456",
        schedule=DebitSchedule.MONTHLY,
        holder_name="Pierre DUPONT",
        iban="FR7630006000011234567890189",
        bic="AGRIFRPPXXX",
        signed_on=datetime.date(2023, 6, 1),
    )
    today = timezone.localdate()
    past, coming = today - datetime.timedelta(days=20), today + datetime.timedelta(days=10)
    for on, cents in ((past, 4397), (coming, 4397)):
        ScheduledDebit.objects.create(
            authority=dupont.authority,
            mandate=mandate,
            invoice=invoice,
            due_on=on,
            amount_cents=cents,
        )
    text = pdf_text(invoice, duplicata=True)
    assert f"Prélevée le {past:%d/%m/%Y} : 43,97\u00a0€" in text
    assert f"Prélèvement prévu le {coming:%d/%m/%Y} : 43,97\u00a0€" in text


def test_the_online_payment_line_gives_the_due_date_not_the_long_window(dupont):
    BillingSettings.objects.create(authority=dupont.authority, online_payment_grace_days=4749)
    text = pdf_text(make_seed_invoice(dupont))
    assert "jusqu'au" not in text
    assert "cliquez sur « Régler » (carte bancaire ou prélèvement unique) avant le 01/08/2023" in (
        text
    )


def test_the_download_is_a_duplicata_and_the_kept_file_stays_as_issued(client, dupont):
    invoice = make_seed_invoice(dupont)
    client.force_login(make_user("dupont59@gmail.com", accounts=[dupont]))
    url = f"/flandre-interieure/espace/mes-factures/{invoice.pk}/duplicata.pdf"
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="facture-2300240069928.pdf"'
    assert "no-store" in response["Cache-Control"]
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    invoice.refresh_from_db()
    kept = invoice.pdf.name
    assert kept and private_storage.exists(kept)
    # Paid since: the kept file is not rendered again, the duplicata says it.
    Invoice.objects.filter(pk=invoice.pk).update(
        status=InvoiceStatus.PAID, paid_at=timezone.now(), paid_by="carte", direct_debit=False
    )
    invoice.refresh_from_db()
    assert invoice_pdf_kept(invoice=invoice).name == kept
    assert client.get(url).status_code == 200
    invoice.refresh_from_db()
    assert invoice.pdf.name == kept
