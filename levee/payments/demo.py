"""The demo's régie account: the Pilat Rhodanien collects its invoices itself and sends its
debits to its bank as pain.008 files (`DEBIT_FILES.md`), crediting its account at the
Trésor public (a valid test IBAN, the DGFiP's BIC; not a real account).

And the CCFI's accountant's collections of a few open invoices of last year, imported as
his CSV would be (`COLLECTIONS.md`): a cheque settling one, a transfer paying part of
another (the rest payable online), a line for an invoice unknown here; so that « Encaissements
du comptable », an invoice's « Règlements » and « Reste à payer » are not empty."""

import datetime

from levee.billing.models import Invoice, InvoiceStatus

from .collection_files import collections_import
from .models import CollectionImport, PaymentSettings

REGIE_ACCOUNTS = {
    "pilat-rhodanien": {
        "creditor_iban": "FR7610071420000000100042187",
        "creditor_bic": "TRPUFRP1XXX",
    },
}


def demo_payments_load(*, authority) -> None:
    """The régie's IBAN and BIC, when they are not set yet."""
    account = REGIE_ACCOUNTS.get(authority.slug)
    if account is None:
        return
    PaymentSettings.objects.filter(authority_id=authority.pk, creditor_iban="").update(**account)


# The accounts whose invoices the tutorials pay online themselves (seed 004's and Mme
# MARTIN's) are left alone.
KEPT_UNPAID = {"00001", "00002"}


def demo_collections_load(*, authority, today: datetime.date) -> CollectionImport | None:
    """The CCFI's first collections file, once: a few open invoices, not debited, of
    accounts other than the tutorials'."""
    if authority.slug != "flandre-interieure":
        return None
    if CollectionImport.objects.filter(authority=authority).exists():
        return None
    invoices = list(
        Invoice.objects.filter(authority=authority, status=InvoiceStatus.OPEN, direct_debit=False)
        .exclude(number="")
        .exclude(account__code__in=KEPT_UNPAID)
        .filter(total_cents__gt=1000, issued_on__lt=today - datetime.timedelta(days=10))
        .order_by("issued_on", "number")[:2]
    )
    if len(invoices) < 2:
        return None
    settled, part = invoices
    on = today - datetime.timedelta(days=3)
    rows = [
        "facture;date;montant;mode;reference",
        f"{settled.number};{on:%d/%m/%Y};{_amount(settled.total_cents)};cheque;4721503",
        f"{part.number};{on:%d/%m/%Y};{_amount(part.total_cents // 2)};virement;VIR-2026-0415",
        f"2199999999999;{on:%d/%m/%Y};45,00;especes;",
    ]
    content = ("\n".join(rows) + "\n").encode()
    return collections_import(
        authority=authority,
        content=content,
        filename=f"encaissements-sgc-hazebrouck-{on:%Y%m%d}.csv",
        by=None,
        today=today,
        send_receipts=False,  # the history is not mailed
    )


def _amount(cents: int) -> str:
    return f"{cents // 100},{cents % 100:02d}"
