"""The invoice PDF rendered cheaper (issue 13, speed): the stylesheet parsed once and one
font configuration per thread, not again at each PDF; what a PDF says does not change. And
the PDFs a rôle needs kept ahead of it (`invoice_pdfs_render_missing`)."""

import threading

import pytest
from django.template.loader import render_to_string

from levee.billing import pdf
from levee.billing.models import Invoice
from levee.lib.storage import private_storage
from testkit import ccfi_world

from .factories import make_seed_invoice, make_simulation

pytestmark = pytest.mark.django_db


def inline_rendering(invoice, **options):
    """The earlier way: the whole stylesheet inline in the page, new fonts each time."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    html = render_to_string("billing/invoice_pdf.html", pdf.invoice_pdf_context(invoice, **options))
    css = render_to_string("billing/invoice_pdf.css")
    assert html.count("<style>") == 1
    html = html.replace("<style>", f"<style>\n{css}\n")
    fetcher = URLFetcher(allowed_protocols=pdf._FETCHER_PROTOCOLS)
    return HTML(string=html, url_fetcher=fetcher).render()


def layout(document) -> list[list[tuple]]:
    """Each page's texts and where they sit."""
    pages = []
    for page in document.pages:
        texts, stack = [], [page._page_box]
        while stack:
            box = stack.pop()
            if getattr(box, "text", None):
                texts.append((box.text, round(box.position_x, 2), round(box.position_y, 2)))
            stack.extend(getattr(box, "children", ()))
        pages.append(sorted(texts))
    return pages


@pytest.fixture
def dupont():
    _authority, account = ccfi_world()
    return account


@pytest.mark.parametrize("kind", ["issued", "duplicata", "simulation"])
def test_the_pdf_lays_out_as_with_its_stylesheet_inline(dupont, kind):
    invoice = make_simulation(dupont) if kind == "simulation" else make_seed_invoice(dupont)
    options = {"duplicata": kind == "duplicata"}

    now = pdf.invoice_pdf_document(invoice, **options)

    assert layout(now) == layout(inline_rendering(invoice, **options))
    texts = [text for page in layout(now) for text, _x, _y in page]
    footer = {
        "issued": "Facture n° 2300240069928",
        "duplicata": "Duplicata — facture n° 2300240069928",
        "simulation": "Facture à blanc — ne pas payer",
    }[kind]
    assert footer in texts  # the page's footer, the one rule left in the page
    assert "Page 1 / 1" in texts
    assert pdf.invoice_pdf_render(invoice, **options).startswith(b"%PDF-")


def test_the_stylesheet_and_fonts_are_made_once_per_thread(dupont):
    invoice = make_seed_invoice(dupont)
    pdf.invoice_pdf_render(invoice)
    first = pdf._render_tools()
    pdf.invoice_pdf_render(invoice)
    assert pdf._render_tools() is first  # the same thread: reused

    other = []
    thread = threading.Thread(target=lambda: other.append(pdf._render_tools()))
    thread.start()
    thread.join()
    stylesheet, fonts = other[0]
    assert stylesheet is not first[0] and fonts is not first[1]  # another thread: its own


def test_the_missing_pdfs_are_rendered_and_kept_once(dupont):
    kept = make_seed_invoice(dupont)
    pdf.invoice_pdf_kept(invoice=kept)
    kept_name = Invoice.objects.get(pk=kept.pk).pdf.name
    others = [make_seed_invoice(dupont, number=f"23002400699{n}") for n in (30, 31, 32)]
    ids = [kept.pk, *(invoice.pk for invoice in others)]

    # Fewer invoices than two per worker: rendered here (a test's data is not committed).
    assert pdf.invoice_pdfs_render_missing(ids, workers=2) == 3

    rows = {row.pk: row for row in Invoice.objects.filter(pk__in=ids)}
    assert rows[kept.pk].pdf.name == kept_name  # the kept one is not rendered again
    for invoice in others:
        name = rows[invoice.pk].pdf.name
        assert f"facture-{invoice.number}" in name
        with private_storage.open(name, "rb") as handle:
            assert handle.read().startswith(b"%PDF-")
    assert pdf.invoice_pdfs_render_missing(ids, workers=1) == 0
