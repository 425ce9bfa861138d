"""The demo's régie account: the Pilat Rhodanien collects its invoices itself and sends its
debits to its bank as pain.008 files (`DEBIT_FILES.md`), crediting its account at the
Trésor public (a valid test IBAN, the DGFiP's BIC; not a real account)."""

from .models import PaymentSettings

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
