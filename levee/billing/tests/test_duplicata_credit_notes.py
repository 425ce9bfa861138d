"""A duplicata counts the avoirs issued on its invoice since: each listed with its number,
date and amount, the rest to pay reduced by them, and nothing asked of an invoice they
cancel."""

import datetime
import re
from html import unescape

import pytest
from django.template.loader import render_to_string

from levee.billing.models import CreditNoteKind, CreditNoteReason, InvoiceStatus
from levee.billing.pdf import invoice_pdf_context
from levee.billing.services_credit_notes import credit_note_issue
from levee.lib.templatetags.levee_format import day_fr
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


@pytest.fixture
def agent(db):
    return make_user("agent.flandre@example.org")


def test_a_reduced_invoice_s_duplicata_asks_only_what_is_left(dupont, agent):
    invoice = make_seed_invoice(dupont)  # 87,94 €, unpaid
    note = credit_note_issue(
        invoice=invoice,
        kind=CreditNoteKind.REDUCTION,
        reason=CreditNoteReason.TARIFF_ERROR,
        amount_cents=1000,
        by=agent,
    )
    text = pdf_text(invoice, duplicata=True)
    assert f"Avoir n° {note.number} du {day_fr(note.issued_on)} : -10,00\u00a0€." in text
    assert "Reste à payer : 77,94\u00a0€." in text
    assert "Cette facture n'est pas encore réglée" not in text
    assert "Montant à payer : 77,94\u00a0€" in text
    # The kept PDF is the invoice as issued: no avoir in it.
    issued = pdf_text(invoice)
    assert note.number not in issued and "Montant à payer : 87,94\u00a0€" in issued


def test_a_cancelled_invoice_s_duplicata_asks_nothing(dupont, agent):
    invoice = make_seed_invoice(dupont)
    note = credit_note_issue(
        invoice=invoice,
        kind=CreditNoteKind.TOTAL,
        reason=CreditNoteReason.OTHER,
        text="Compte ouvert par erreur",
        by=agent,
        today=datetime.date(2026, 12, 3),
    )
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.OPEN
    text = pdf_text(invoice, duplicata=True)
    assert f"Avoir n° {note.number} du 3 décembre 2026 : -87,94\u00a0€." in text
    assert "Reste à payer : 0,00\u00a0€." in text
    assert (
        "Aucun paiement n'est demandé : les avoirs de cette facture en soldent le montant." in text
    )
    assert "Montant à payer" not in text and "Échéance dépassée" not in text
    assert "Payer en ligne" not in text
