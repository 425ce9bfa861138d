"""The treasury's CSV exports: the invoices of a billing run and the payments received.

Columns are documented in EXPORT_FORMAT.md (keep both in step). Rows are read with one
query each, streamed as they are read: an export of 100,000 invoices never sits in memory.
"""

from collections.abc import Iterator

from django.utils import timezone

from .models import BillingRun
from .pricing import percent_text
from .selectors_backoffice import payments_received, run_invoices

CHUNK = 2000

INVOICE_COLUMNS = [
    "Numéro",
    "Date facture",
    "Date d'échéance",
    "Code usager",
    "Payeur",
    "Adresse du payeur",
    "Référence abonnement",
    "Début de période",
    "Fin de période",
    "Montant HT",
    "Taux de TVA",
    "TVA",
    "Montant TTC",
    "Statut",
    "Date de règlement",
    "Prélèvement",
    "Facture dématérialisée",
]

INVOICE_FIELDS = (
    "number",
    "issued_on",
    "due_on",
    "payer_name",
    "payer_address",
    "period_start",
    "period_end",
    "total_ht_cents",
    "vat_rate_bp",
    "vat_cents",
    "total_cents",
    "status",
    "paid_at",
    "direct_debit",
    "account__code",
    "account__paperless_invoices",
    "subscription__reference",
)

PAYMENT_COLUMNS = [
    "Date du règlement",
    "Heure",
    "Numéro de facture",
    "Code usager",
    "Montant",
    "Moyen de paiement",
    "Référence de la transaction",
    "Service de paiement",
    "Identifiant de l'opération",
]


def amount(cents: int) -> str:
    """8794 → « 87,94 »: a number a French spreadsheet reads, without the € sign."""
    sign = "-" if cents < 0 else ""
    units, rest = divmod(abs(cents), 100)
    return f"{sign}{units},{rest:02d}"


def yes_no(value: bool) -> str:
    return "oui" if value else "non"


def day(value) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def run_invoices_rows(run: BillingRun) -> Iterator[list]:
    invoices = run_invoices(run).only(*INVOICE_FIELDS)
    for invoice in invoices.iterator(chunk_size=CHUNK):
        yield [
            invoice.number,
            day(invoice.issued_on),
            day(invoice.due_on),
            invoice.account.code,
            invoice.payer_name,
            invoice.payer_address,
            invoice.subscription.reference if invoice.subscription else "",
            day(invoice.period_start),
            day(invoice.period_end),
            amount(invoice.total_ht_cents),
            percent_text(invoice.vat_rate_bp),
            amount(invoice.vat_cents),
            amount(invoice.total_cents),
            invoice.get_status_display(),
            day(timezone.localdate(invoice.paid_at)) if invoice.paid_at else "",
            yes_no(invoice.direct_debit),
            yes_no(invoice.account.paperless_invoices),
        ]


def run_invoices_filename(run: BillingRun) -> str:
    kind = "a-blanc" if run.kind == "simulation" else "reelle"
    period = run.label.replace(" ", "-").replace("1er", "s1").replace("2e", "s2")
    return f"factures-{kind}-{period}-{run.pk}.csv"


def payments_rows(authority, start, end) -> Iterator[list]:
    payments = payments_received(authority, start, end)
    for payment in payments.iterator(chunk_size=CHUNK):
        paid_at = timezone.localtime(payment.paid_at)
        yield [
            paid_at.strftime("%d/%m/%Y"),
            paid_at.strftime("%H:%M"),
            payment.invoice.number,
            payment.account.code,
            amount(payment.amount_cents),
            payment.get_method_display(),
            # A recorded payment (a cheque, a transfer…): its reference, and how it came.
            payment.reference if payment.is_recorded else payment.transaction_id,
            payment.get_channel_display() if payment.is_recorded else payment.get_gateway_display(),
            payment.order_id,
        ]


def payments_filename(start, end) -> str:
    return f"reglements-{start:%Y%m%d}-{end:%Y%m%d}.csv"
