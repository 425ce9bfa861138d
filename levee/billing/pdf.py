"""The PDF duplicata of an invoice: HTML rendered by WeasyPrint on first demand, then kept
in private storage (`Invoice.pdf`) and served from there.

An invoice never changes once issued (the payer's name and address are copied at issue),
so its duplicata is rendered once. A simulation's duplicata is stamped « FACTURE À BLANC —
NE PAS PAYER »."""

import base64
import datetime
import logging
import mimetypes
import re

from django.conf import settings
from django.core.files.base import ContentFile
from django.template.loader import render_to_string
from django.urls import reverse

from levee.lib.storage import private_storage

from .models import BillingSettings, Invoice, InvoiceStatus

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
    "aussi adresser au préalable une réclamation écrite à {authority}."
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


def invoice_pdf_context(invoice: Invoice) -> dict:
    """What the duplicata's template shows (also what the tests read)."""
    authority = invoice.authority
    account = invoice.account
    billing = BillingSettings.objects.filter(authority_id=authority.pk).first()
    grace_days = (
        billing.online_payment_grace_days
        if billing
        else BillingSettings._meta.get_field("online_payment_grace_days").default
    )
    appeal = (billing.appeal_text.strip() if billing else "") or DEFAULT_APPEAL_TEXT.format(
        authority=authority.name
    )
    simulated = invoice.status == InvoiceStatus.SIMULATED
    return {
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
        "portal_url": settings.SITE_URL + reverse("billing:invoices", args=[authority.slug]),
        "online_until": invoice.due_on + datetime.timedelta(days=grace_days),
        "treasury_name": billing.treasury_name if billing else "",
        "appeal_text": appeal,
    }


def invoice_pdf_render(invoice: Invoice) -> bytes:
    """The duplicata's bytes, rendered now (WeasyPrint, A4)."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    html = render_to_string("billing/invoice_pdf.html", invoice_pdf_context(invoice))
    fetcher = URLFetcher(allowed_protocols=_FETCHER_PROTOCOLS)
    return HTML(string=html, url_fetcher=fetcher).write_pdf()


def _kept_stem(invoice: Invoice) -> str:
    """The kept file's name says whether it was rendered for a debited invoice: a mandate
    signed or revoked after issue changes how the invoice is paid, and so its duplicata."""
    stem = invoice_pdf_filename(invoice).removesuffix(".pdf")
    return f"{stem}-prelevee" if invoice.direct_debit else f"{stem}-a-regler"


def invoice_pdf_kept(*, invoice: Invoice):
    """The invoice's duplicata file: the kept one, else rendered now and kept.

    Two first requests at once may both render; the first to record its file wins, the
    other drops its own and serves the winner's."""
    stem = _kept_stem(invoice)
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
        if kept and kept != name and private_storage.exists(kept):
            private_storage.delete(kept)  # rendered before the invoice's debit changed
    else:
        private_storage.delete(name)
        invoice.refresh_from_db(fields=["pdf"])
    return invoice.pdf
