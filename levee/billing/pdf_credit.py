"""The PDF of an avoir, HTML rendered by WeasyPrint (A4), with the invoice's letterhead.

Rendered once, on first demand, and kept in private storage (`CreditNote.pdf`): an avoir
never changes once issued, and that file is what the resident and the public accountant
get."""

from django.core.files.base import ContentFile
from django.template.loader import render_to_string

from levee.lib.storage import private_storage

from .models import CreditNote
from .pdf import _FETCHER_PROTOCOLS, _logo_data_uri, postal_lines, vat_rate_display


def credit_note_pdf_filename(note: CreditNote) -> str:
    return f"avoir-{note.number}.pdf"


def credit_note_pdf_context(note: CreditNote) -> dict:
    """What the avoir's template shows (also what the tests read)."""
    invoice = note.invoice
    authority = invoice.authority
    account = invoice.account
    return {
        "note": note,
        "invoice": invoice,
        "authority": authority,
        "account": account,
        "logo": _logo_data_uri(authority),
        "authority_address_lines": [
            line.strip() for line in authority.address.splitlines() if line.strip()
        ],
        "payer_name": (invoice.payer_name or account.holder_name).upper(),
        "payer_lines": postal_lines(invoice.payer_address or account.billing_address_line),
        "vat_rate": vat_rate_display(note.vat_rate_bp),
        "reason": note.get_reason_display(),
        "kind": note.get_kind_display(),
    }


def credit_note_pdf_render(note: CreditNote) -> bytes:
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    html = render_to_string("billing/credit_note_pdf.html", credit_note_pdf_context(note))
    fetcher = URLFetcher(allowed_protocols=_FETCHER_PROTOCOLS)
    return HTML(string=html, url_fetcher=fetcher).write_pdf()


def credit_note_pdf_kept(*, note: CreditNote):
    """The avoir's PDF: the kept one, else rendered now and kept. Two first requests at
    once may both render; the first to record its file wins, the other drops its own."""
    stem = credit_note_pdf_filename(note).removesuffix(".pdf")
    kept = note.pdf.name or ""
    if kept and private_storage.exists(kept):
        return note.pdf
    name = private_storage.save(
        f"credit_notes/{note.authority_id}/{stem}.pdf", ContentFile(credit_note_pdf_render(note))
    )
    recorded = CreditNote.objects.filter(
        authority_id=note.authority_id, pk=note.pk, pdf=kept
    ).update(pdf=name)
    if recorded:
        note.pdf.name = name
    else:
        private_storage.delete(name)
        note.refresh_from_db(fields=["pdf"])
    return note.pdf
