"""A published real run of the CCFI and its PES settings, for the treasury's tests."""

import datetime

from lxml import etree

from levee.billing.models import InvoiceStatus, LineKind, RunKind, RunStatus
from levee.billing.tests.factories import make_invoice, make_run
from levee.lib.storage import private_storage
from levee.payments.models import (
    DebitSchedule,
    DebitStatus,
    Mandate,
    PaymentSettings,
    ScheduledDebit,
)
from levee.treasury.demo import CCFI_SLUG, DEMO_SETTINGS
from levee.treasury.models import PublicAccountingSettings
from levee.treasury.pes import NAMESPACE
from testkit import make_account

D = datetime.date
SIGNED_ON = D(2025, 9, 1)


def pes_settings(authority, **fields) -> PublicAccountingSettings:
    """The demo CCFI's settings (PES ORMC, complete), without PDFs unless asked."""
    values = {**DEMO_SETTINGS[CCFI_SLUG], "attach_pdfs": False, **fields}
    settings, _ = PublicAccountingSettings.objects.update_or_create(
        authority=authority, defaults=values
    )
    PaymentSettings.objects.update_or_create(
        authority=authority, defaults={"creditor_identifier": "FR12ZZZ123456"}
    )
    return settings


def published_run(authority, *, status: str = RunStatus.DONE, kind: str = RunKind.REAL):
    """A real run of the 2nd half of 2026, finished (published as its invoices are made),
    its invoices dated 1 December 2026."""
    run = make_run(
        authority,
        kind=kind,
        status=status,
        year=2026,
        label="2e semestre 2026",
        issued_on=D(2026, 12, 1),
    )
    run.period_start, run.period_end = D(2026, 7, 1), D(2026, 12, 31)
    run.save(update_fields=["period_start", "period_end"])
    return run


def run_invoice(run, account, sequence: int, *, lines=None, vat_rate_bp=0, vat_cents=0, **fields):
    """An invoice of the run: 2600240 + 6 digits; by default an « Abonnement » of 60,00 €, the
    included lifts (0,00 €) and 3 extra lifts of 3,50 €."""
    lines = lines or [
        ("Abonnement Bac 120 L du 01/07/2026 au 31/12/2026", 1, 6000, 6000, LineKind.FIXED),
        ("Levées incluses dans le forfait : 6 sur 6", 6, 0, 0, LineKind.INCLUDED),
        ("3 levées supplémentaires × 3,50 €", 3, 350, 1050, LineKind.EXTRA),
    ]
    ht = sum(line[3] for line in lines)
    invoice = make_invoice(
        account,
        number=f"2600240{sequence:06d}",
        issued_on=run.issued_on,
        total_cents=ht + vat_cents,
        vat_rate_bp=vat_rate_bp,
        vat_cents=vat_cents,
        lines=lines,
        run=run,
        period=(run.period_start, run.period_end),
        **fields,
    )
    run.invoices_done += 1
    run.invoices_published += 1
    run.save(update_fields=["invoices_done", "invoices_published"])
    return invoice


def another_account(authority, code: str, **fields):
    return make_account(authority, code=code, portal_key=f"K{code}XYZ", **fields)


def debit(
    invoice,
    *,
    rum: str,
    dates: list[D],
    signed_on=SIGNED_ON,
    iban="FR7630006000011234567890189",
    bic="AGRIFRPPXXX",
    holder="Pierre DUPONT",
    schedule=DebitSchedule.PER_INVOICE,
    mandate=None,
):
    """The invoice debited on the account's mandate (made when not given), on `dates`."""
    mandate = mandate or Mandate.objects.create(
        authority_id=invoice.authority_id,
        account=invoice.account,
        rum=rum,
        creditor_identifier="FR12ZZZ123456",
        schedule=schedule,
        holder_name=holder,
        iban=iban,
        bic=bic,
        signed_on=signed_on,
    )
    from levee.payments.mandates import cents_split

    for on, cents in zip(dates, cents_split(invoice.total_cents, len(dates)), strict=True):
        ScheduledDebit.objects.create(
            authority_id=invoice.authority_id,
            mandate=mandate,
            invoice=invoice,
            due_on=on,
            amount_cents=cents,
            status=DebitStatus.PLANNED,
        )
    invoice.direct_debit = True
    invoice.save(update_fields=["direct_debit"])
    assert invoice.status == InvoiceStatus.OPEN
    return mandate


def parsed(pes_file) -> etree._Element:
    with private_storage.open(pes_file.file.name, "rb") as handle:
        root = etree.parse(handle).getroot()
    assert root.tag == f"{{{NAMESPACE}}}PES_Aller"
    return root


def v(element, path: str) -> str | None:
    found = element.find(path)
    return None if found is None else found.get("V")
