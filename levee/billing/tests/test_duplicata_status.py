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
from levee.lib.templatetags.levee_format import day_fr
from levee.payments.models import DebitSchedule, DebitStatus, Mandate, ScheduledDebit
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
    assert "Montant à payer : 87,94\u00a0€ avant le 1er août 2023" in issued
    duplicata = pdf_text(invoice, duplicata=True)
    assert "DUPLICATA" in duplicata


def test_a_paid_invoice_s_duplicata_says_when_and_how_it_was_paid(dupont):
    paid_at = datetime.datetime(2023, 7, 12, 10, tzinfo=datetime.UTC)
    invoice = make_seed_invoice(dupont, status=InvoiceStatus.PAID, paid_at=paid_at)
    Invoice.objects.filter(pk=invoice.pk).update(paid_by="carte")
    invoice.refresh_from_db()
    text = pdf_text(invoice, duplicata=True)
    assert "Réglée le 12 juillet 2023 par carte bancaire" in text
    assert "Montant à payer" not in text and "cliquez sur « Régler »" not in text


def test_a_monthly_debited_invoice_s_duplicata_tells_one_echeancier(dupont):
    """Issue 12: the settlement said « Prélèvement prévu le 10/01/2027 : 16,60 € » while the
    payment part said « à partir du 01/01/2027 … Montant à payer : 99,58 € ». Both now give
    what is left to pay and each debit to come, dated the French way."""
    invoice = make_seed_invoice(dupont, direct_debit=True, total_cents=9958)
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
    past = today - datetime.timedelta(days=20)
    coming = [today + datetime.timedelta(days=10 + 30 * k) for k in range(5)]
    amounts = [1660, 1660, 1660, 1660, 1659, 1659]  # 99,58 € in six
    for on, cents in zip([past, *coming], amounts, strict=True):
        ScheduledDebit.objects.create(
            authority=dupont.authority,
            mandate=mandate,
            invoice=invoice,
            due_on=on,
            amount_cents=cents,
        )
    ScheduledDebit.objects.create(  # a rejected debit is no longer part of the échéancier
        authority=dupont.authority,
        mandate=mandate,
        invoice=invoice,
        due_on=past - datetime.timedelta(days=30),
        amount_cents=9958,
        status=DebitStatus.REJECTED,
    )

    text = pdf_text(invoice, duplicata=True)

    settlement, payment = text.split("Prélèvement automatique")
    settlement = settlement.split("Total TTC")[-1]
    assert f"Règlement au {day_fr(today)}" in settlement
    assert f"Prélevée le {day_fr(past)} : 16,60\u00a0€." in settlement
    for on, cents in zip(coming, ["16,60", "16,60", "16,60", "16,59", "16,59"], strict=True):
        assert f"Prélèvement prévu le {day_fr(on)} : {cents}\u00a0€." in settlement
        assert f"le {day_fr(on)} : {cents}\u00a0€" in payment
    assert settlement.endswith("Reste à prélever : 82,98\u00a0€. Reste à prélever : 82,98\u00a0€ ")
    assert "prélevée sur votre compte bancaire en 5 fois" in payment
    assert "à partir du" not in payment and "99,58" not in payment
    assert "Vous n'avez rien à faire." in payment
    assert "payer" not in text.split("Total TTC")[-1].split("Voies et délais")[0]
    assert "Rappelez la référence" not in text and "Régler" not in text
    assert not re.search(r"\d\d/\d\d/\d{4}", settlement.split("Total TTC")[-1] + payment)


def test_a_debited_invoice_whose_debits_are_all_past_asks_nothing_more(dupont):
    invoice = make_seed_invoice(dupont, direct_debit=True)
    mandate = Mandate.objects.create(
        authority=dupont.authority,
        account=dupont,
        rum="RUM-00240-00001-1",
        creditor_identifier="FR12ZZZ123456",
        schedule=DebitSchedule.PER_INVOICE,
        holder_name="Pierre DUPONT",
        iban="FR7630006000011234567890189",
        bic="AGRIFRPPXXX",
        signed_on=datetime.date(2023, 6, 1),
    )
    past = timezone.localdate() - datetime.timedelta(days=3)
    ScheduledDebit.objects.create(
        authority=dupont.authority, mandate=mandate, invoice=invoice, due_on=past, amount_cents=8794
    )

    text = pdf_text(invoice, duplicata=True)

    assert f"Prélevée le {day_fr(past)} : 87,94\u00a0€." in text
    assert "Reste à prélever : 0,00\u00a0€." in text and "Montant prélevé : 87,94\u00a0€" in text
    assert "Montant à payer" not in text and "Rappelez la référence" not in text
    assert "ont tous été présentés à votre banque" in text and "à partir du" not in text


def test_the_online_payment_line_gives_the_due_date_not_the_long_window(dupont):
    BillingSettings.objects.create(authority=dupont.authority, online_payment_grace_days=4749)
    text = pdf_text(make_seed_invoice(dupont))
    assert "jusqu'au" not in text
    assert (
        "cliquez sur « Régler » (carte bancaire ou prélèvement unique) avant le 1er août 2023"
        in (text)
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


def test_a_duplicata_counts_a_part_paid_and_names_how_it_was_settled(dupont):
    from levee.payments.recorded import payment_record

    invoice = make_seed_invoice(dupont)  # 87,94\u00a0€, unpaid
    agent = make_user("facturation@example.org")
    today = timezone.localdate()
    payment_record(
        invoice=invoice,
        method="virement",
        paid_on=today,
        reference="VIR-1",
        amount_cents=2000,
        by=agent,
        send_receipt=False,
    )
    invoice.refresh_from_db()

    part = pdf_text(invoice, duplicata=True)
    assert "Règlements reçus : 20,00\u00a0€" in part
    assert "Reste à payer : 67,94\u00a0€" in part
    assert "Montant à payer : 67,94\u00a0€" in part
    assert "Montant à payer : 87,94\u00a0€" not in part
    assert "Règlements reçus" not in pdf_text(invoice)  # the invoice as issued

    payment_record(
        invoice=invoice,
        method="cheque",
        paid_on=today,
        reference="1234567",
        amount_cents=6794,
        by=agent,
        send_receipt=False,
    )
    invoice.refresh_from_db()
    assert f"Réglée le {day_fr(today)} par chèque." in pdf_text(invoice, duplicata=True)
