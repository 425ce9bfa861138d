"""The PDF of an invoice, HTML rendered by WeasyPrint.

The invoice as issued is rendered once, on first demand, and kept in private storage
(`Invoice.pdf`): an invoice never changes once issued (the payer's name and address and the
collection address are copied at issue), and that file is what the public accountant gets.
An invoice paid by direct debit gives there the échéancier its debits were planned on
(« Montant prélevé », each date and amount) and asks the resident for nothing.
The duplicata a resident downloads is rendered on demand from the same template, stamped
« DUPLICATA » with where its payment stands today (« Réglée le … par carte bancaire »,
« Prélevée le … »), or, past its due date and unpaid, that it is overdue and how to pay it
now. A simulation's PDF is stamped « FACTURE À BLANC — NE PAS PAYER »."""

import base64
import datetime
import logging
import mimetypes
import re
import threading

from django.core.files.base import ContentFile
from django.template.loader import render_to_string
from django.utils import timezone

from levee.authorities.hosts import authority_absolute_url
from levee.lib.storage import private_storage

from .models import BillingSettings, Invoice, InvoiceStatus
from .selectors_credit_notes import invoice_credit_notes

# What the invoice says about contesting it when the authority wrote nothing of its own:
# the redevance pays for an industrial and commercial public service, so its disputes go
# before the judicial courts, within the two months of article L1617-5 of the CGCT.
DEFAULT_APPEAL_TEXT = (
    "Dans un délai de deux mois suivant la réception de la présente facture, vous pouvez "
    "contester le bien-fondé de la somme réclamée en saisissant directement le tribunal "
    "judiciaire compétent (article L1617-5 du code général des collectivités territoriales), "
    "la redevance d'enlèvement des ordures ménagères rémunérant un service public industriel "
    "et commercial. La contestation de la régularité formelle d'un acte de poursuite relève "
    "du juge de l'exécution, saisi dans les deux mois suivant sa notification. Vous pouvez "
    "aussi adresser au préalable une réclamation écrite {authority}."
)

# WeasyPrint reports each step of each rendering at INFO: seven lines per duplicata.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

# Only inline resources: the letterhead's logo goes in as a data: URI, so the renderer
# never opens a file or a network address named by data.
_FETCHER_PROTOCOLS = ("data",)
_POSTAL_TOWN = re.compile(r"^(.*?)\s*\b(\d{5}\s+\S.*)$")


def invoice_pdf_filename(invoice: Invoice) -> str:
    if invoice.status == InvoiceStatus.SIMULATED:
        return f"facture-a-blanc-{invoice.year}-{invoice.pk}.pdf"
    return f"facture-{invoice.number}.pdf"


def _debits_of(invoice: Invoice, *, today: datetime.date | None) -> list[dict]:
    """The invoice's debits (its échéancier): date, amount, and whether that day is past
    (« Prélevée le … ») or to come (« Prélèvement prévu le … »). `today` None: the
    échéancier as issued, every debit to come (the kept PDF)."""
    from levee.payments.models import DebitStatus, ScheduledDebit

    debits = (
        ScheduledDebit.objects.filter(authority_id=invoice.authority_id, invoice_id=invoice.pk)
        .exclude(status__in=[DebitStatus.CANCELLED, DebitStatus.REJECTED])
        .order_by("due_on")
    )
    return [
        {
            "on": d.due_on,
            "amount_cents": d.amount_cents,
            "done": today is not None and d.due_on <= today,
        }
        for d in debits
    ]


def _received_cents(invoice: Invoice) -> int:
    """What the invoice's payments brought so far (online, recorded at the counter, imported
    from the accountant's collections)."""
    from levee.payments.selectors import invoice_paid_cents

    return invoice_paid_cents(invoice)


def _method_label(method: str) -> str:
    """« carte bancaire », « chèque », « virement »…: how it was paid, for « Réglée le … par »."""
    from levee.payments.models import PaymentMethod

    label = dict(PaymentMethod.choices).get(method, "")
    return str(label)[:1].lower() + str(label)[1:] if label else ""


def _online_payable(invoice: Invoice, *, today: datetime.date) -> bool:
    """Whether « Régler » is still offered for the invoice today, as « Mes factures » says."""
    from levee.payments.selectors import settlement_state

    return settlement_state(invoice, today=today, ignore_waiting=True).payable


def postal_lines(address: str) -> list[str]:
    """A one-line address as the lines of a French postal block, in capitals: the street
    part, then « 59270 BAILLEUL » on its own line."""
    address = " ".join(address.split()).upper()
    match = _POSTAL_TOWN.match(address)
    if not match:
        return [address] if address else []
    return [line for line in (match[1].strip(" ,"), match[2]) if line]


def vat_rate_display(vat_rate_bp: int) -> str:
    """1000 → « 10 % », 550 → « 5,5 % »."""
    units, rest = divmod(vat_rate_bp, 100)
    decimals = f"{rest:02d}".rstrip("0")
    return f"{units},{decimals}\u00a0%" if decimals else f"{units}\u00a0%"


def _logo_data_uri(authority) -> str:
    if not authority.logo:
        return ""
    try:
        with authority.logo.open("rb") as handle:
            content = handle.read()
    except (FileNotFoundError, OSError, ValueError):
        return ""
    content_type = mimetypes.guess_type(authority.logo.name)[0] or "image/png"
    return f"data:{content_type};base64,{base64.b64encode(content).decode()}"


def invoice_pdf_context(invoice: Invoice, *, duplicata: bool = False) -> dict:
    """What the PDF's template shows (also what the tests read): the invoice as issued, or
    its duplicata with where its payment stands."""
    authority = invoice.authority
    account = invoice.account
    billing = BillingSettings.objects.filter(authority_id=authority.pk).first()
    appeal = (billing.appeal_text.strip() if billing else "") or DEFAULT_APPEAL_TEXT.format(
        authority=authority.to_name
    )
    simulated = invoice.status == InvoiceStatus.SIMULATED
    duplicata = duplicata and not simulated
    today = timezone.localdate()
    if duplicata:
        debits = _debits_of(invoice, today=today) if invoice.status == InvoiceStatus.OPEN else []
    else:
        # As issued: the échéancier the debits were planned on, none of them taken yet.
        debits = _debits_of(invoice, today=None) if invoice.direct_debit and not simulated else []
    paid = duplicata and invoice.status == InvoiceStatus.PAID and invoice.paid_at
    # A duplicata counts what payments brought already (a cheque, a part by transfer…).
    received = _received_cents(invoice) if duplicata and invoice.status == InvoiceStatus.OPEN else 0
    # A duplicata of an invoice the resident pays, past its due date and still unpaid: it
    # says so and how to pay now, not « avant le » a day gone by.
    # A duplicata also counts the avoirs issued since: what they took off is not to pay.
    credit_notes = invoice_credit_notes(invoice) if duplicata else []
    credited = sum(note.total_cents for note in credit_notes)
    to_pay = max(
        invoice.total_cents
        - sum(debit["amount_cents"] for debit in debits if debit["done"])
        - received
        - credited,
        0,
    )
    overdue = (
        duplicata
        and invoice.status == InvoiceStatus.OPEN
        and not invoice.direct_debit
        and invoice.due_on < today
        and to_pay > 0
    )
    return {
        "duplicata": duplicata,
        "today": today,
        # The settlement (« Prélevée le … », « Prélèvement prévu le … », « Reste à payer »)
        # and the payment part (« Montant prélevé », each debit to come) tell the same
        # échéancier: what is debited already is no longer to pay.
        "debits": debits,
        "coming_debits": [debit for debit in debits if not debit["done"]],
        "debited_already": any(debit["done"] for debit in debits),
        "to_pay_cents": to_pay,
        "received_cents": received,
        "credit_notes": credit_notes,
        "nothing_due": bool(credit_notes) and not paid and to_pay == 0,
        "paid_by_label": _method_label(invoice.paid_by) if paid else "",
        "overdue": overdue,
        "online_payable": _online_payable(invoice, today=today) if overdue else True,
        "paid": paid,
        "paid_on": timezone.localdate(invoice.paid_at) if paid else None,
        "collection_address": (
            invoice.collection_address
            or (invoice.subscription.address_line if invoice.subscription else "")
        ).upper(),
        "invoice": invoice,
        "authority": authority,
        "account": account,
        "lines": list(invoice.lines.all()),
        "simulated": simulated,
        "logo": _logo_data_uri(authority),
        "authority_address_lines": [
            line.strip() for line in authority.address.splitlines() if line.strip()
        ],
        "payer_name": (invoice.payer_name or account.holder_name).upper(),
        "payer_lines": postal_lines(invoice.payer_address or account.billing_address_line),
        "recipient_address_lines": [
            line.strip()
            for line in authority.payment_recipient_address.splitlines()
            if line.strip()
        ],
        "vat_rate": vat_rate_display(invoice.vat_rate_bp),
        "portal_url": authority_absolute_url(authority, "billing:invoices", args=[authority.slug]),
        "treasury_name": billing.treasury_name if billing else "",
        "appeal_text": appeal,
    }


# What every rendering shares, made once per thread (WeasyPrint's font configuration holds
# Pango objects that are not to be shared between threads): the stylesheet
# (`billing/invoice_pdf.css`) parsed once, not again from each page's <style>, and one
# font configuration, so the fonts are looked up once.
_renderer = threading.local()


def _render_tools():
    tools = getattr(_renderer, "tools", None)
    if tools is None:
        from weasyprint import CSS
        from weasyprint.text.fonts import FontConfiguration

        fonts = FontConfiguration()
        stylesheet = CSS(string=render_to_string("billing/invoice_pdf.css"), font_config=fonts)
        tools = _renderer.tools = (stylesheet, fonts)
    return tools


def invoice_pdf_document(invoice: Invoice, *, duplicata: bool = False):
    """The PDF laid out (WeasyPrint's document, A4): the invoice as issued, or its
    duplicata."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    html = render_to_string(
        "billing/invoice_pdf.html", invoice_pdf_context(invoice, duplicata=duplicata)
    )
    stylesheet, fonts = _render_tools()
    fetcher = URLFetcher(allowed_protocols=_FETCHER_PROTOCOLS)
    return HTML(string=html, url_fetcher=fetcher).render(
        stylesheets=[stylesheet], font_config=fonts
    )


def invoice_pdf_render(invoice: Invoice, *, duplicata: bool = False) -> bytes:
    """The PDF's bytes, rendered now (WeasyPrint, A4): the invoice as issued, or its
    duplicata."""
    return invoice_pdf_document(invoice, duplicata=duplicata).write_pdf()


def invoice_pdf_kept(*, invoice: Invoice):
    """The invoice's PDF as issued: the kept one, else rendered now and kept. Never
    rendered again once kept (a payment or a mandate since is the duplicata's business).

    Two first requests at once may both render; the first to record its file wins, the
    other drops its own and serves the winner's."""
    stem = invoice_pdf_filename(invoice).removesuffix(".pdf")
    kept = invoice.pdf.name or ""
    if kept and kept.rsplit("/", 1)[-1].startswith(stem) and private_storage.exists(kept):
        return invoice.pdf
    name = private_storage.save(
        f"invoices/{invoice.authority_id}/{stem}.pdf", ContentFile(invoice_pdf_render(invoice))
    )
    recorded = Invoice.objects.filter(
        authority_id=invoice.authority_id, pk=invoice.pk, pdf=kept
    ).update(pdf=name)
    if recorded:
        invoice.pdf.name = name
    else:
        private_storage.delete(name)
        invoice.refresh_from_db(fields=["pdf"])
    return invoice.pdf


def invoice_duplicata(invoice: Invoice):
    """What « Duplicata » gives, in the space and through the API: the invoice as issued is
    kept on first demand (for the public accountant), then stamped « DUPLICATA » with where
    its payment stands, rendered now; a simulation's PDF is its kept file. A file object."""
    kept = invoice_pdf_kept(invoice=invoice)
    if invoice.status == InvoiceStatus.SIMULATED:
        return kept
    return ContentFile(invoice_pdf_render(invoice, duplicata=True))


def invoice_pdfs_render_missing(invoice_ids, *, workers: int = 1) -> int:
    """Renders and keeps the PDF as issued of each invoice of `invoice_ids` that has none
    kept yet (`invoice_pdf_kept`), in `workers` processes (one per CPU is the most that
    helps: the rendering is CPU-bound); returns how many were rendered.

    The processes are forked from this one, each with its own database connection, so
    the invoices must be committed (a test's transaction is not seen by them): in one
    process (`workers` 1) the invoices are rendered here, in order."""
    missing = list(
        Invoice.objects.filter(pk__in=list(invoice_ids), pdf="")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if workers <= 1 or len(missing) < 2 * workers:
        return _pdfs_keep(missing)
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from django.db import connections

    # Closed before forking: a connection is never shared between processes.
    connections.close_all()
    chunk = max(1, min(50, len(missing) // (workers * 4)))
    slices = [missing[k : k + chunk] for k in range(0, len(missing), chunk)]
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("fork"),
        initializer=_pdf_worker_start,
    ) as pool:
        return sum(pool.map(_pdfs_keep, slices))


def _pdf_worker_start() -> None:
    from django.db import connections

    # The parent's connections were closed before the fork; the renderer's fonts are made
    # again here, not inherited half-used.
    connections.close_all()
    _renderer.__dict__.clear()


def _pdfs_keep(invoice_ids: list[int]) -> int:
    done = 0
    invoices = Invoice.objects.filter(pk__in=invoice_ids, pdf="").select_related(
        "account", "authority", "subscription"
    )
    for invoice in invoices.order_by("pk"):
        invoice_pdf_kept(invoice=invoice)
        done += 1
    return done
