"""Builders of tariffs, billing runs and invoices for tests, written straight with the ORM
(the billing engine has its own tests): other apps' tests may import them."""

import datetime

from django.utils import timezone

from levee.billing.models import (
    BillingRun,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    LineKind,
    RunKind,
    RunStatus,
    Tariff,
    TariffPlan,
)

SEED_NUMBER = "2300240069928"  # seed 004's invoice: 02/07/2023, 87,94 € TTC


def make_tariff(
    authority,
    year: int,
    *,
    version: int = 1,
    vat_rate_bp: int = 0,
    plans=None,
) -> Tariff:
    """A tariff grid; by default one plan « Bac 120 L »: 60,00 € a year with 12 lifts, each
    extra lift 3,50 €. `plans` lists dicts of `make_plan`'s keywords."""
    tariff = Tariff.objects.create(
        authority=authority, year=year, version=version, vat_rate_bp=vat_rate_bp
    )
    for fields in plans if plans is not None else [{}]:
        make_plan(tariff, **fields)
    return tariff


def make_plan(
    tariff: Tariff,
    *,
    kind: str = "bac",
    volume_litres: int | None = 120,
    label: str = "",
    fixed_cents: int = 6000,
    included_lifts: int = 12,
    extra_lift_cents: int = 350,
    kg_cents: int | None = None,
) -> TariffPlan:
    if kind != "bac":
        volume_litres = None
    return TariffPlan.objects.create(
        authority_id=tariff.authority_id,
        tariff=tariff,
        kind=kind,
        volume_litres=volume_litres,
        label=label or (f"Bac {volume_litres} L" if kind == "bac" else kind.capitalize()),
        fixed_cents=fixed_cents,
        included_lifts=included_lifts,
        extra_lift_cents=extra_lift_cents,
        kg_cents=kg_cents,
    )


def make_run(
    authority,
    *,
    kind: str = RunKind.REAL,
    status: str = RunStatus.DONE,
    year: int = 2023,
    tariff: Tariff | None = None,
    label: str = "",
    issued_on: datetime.date | None = None,
    finished_at: datetime.datetime | None = None,
) -> BillingRun:
    """A billing run over `year`, finished by default (now, or at `finished_at`), with the
    year's tariff in force (made when there is none)."""
    tariff = (
        tariff
        or Tariff.objects.filter(authority=authority, year=year).order_by("-version").first()
        or make_tariff(authority, year)
    )
    issued_on = issued_on or datetime.date(year, 7, 2)
    done = status == RunStatus.DONE
    return BillingRun.objects.create(
        authority=authority,
        kind=kind,
        status=status,
        label=label or str(year),
        period_start=datetime.date(year, 1, 1),
        period_end=datetime.date(year, 12, 31),
        tariff=tariff,
        issued_on=issued_on,
        due_on=issued_on + datetime.timedelta(days=30),
        finished_at=(finished_at or timezone.now()) if done else None,
    )


def make_invoice(
    account,
    *,
    number: str,
    issued_on: datetime.date,
    total_cents: int,
    status: str = InvoiceStatus.OPEN,
    lines=None,
    vat_rate_bp: int = 0,
    vat_cents: int = 0,
    run: BillingRun | None = None,
    published: bool = True,
    direct_debit: bool = False,
    due_on: datetime.date | None = None,
    period: tuple[datetime.date, datetime.date] | None = None,
    paid_at: datetime.datetime | None = None,
) -> Invoice:
    """An invoice of `account` (and its current subscription), published by default.

    `lines` lists (label, quantity, unit_cents, amount_cents[, kind]); by default one « Abonnement »
    line of the whole amount HT. A simulation (`status=InvoiceStatus.SIMULATED`) has
    number "" and is never published."""
    simulated = status == InvoiceStatus.SIMULATED
    total_ht = total_cents - vat_cents
    period = period or (datetime.date(issued_on.year, 1, 1), datetime.date(issued_on.year, 12, 31))
    if lines is None:
        lines = [(f"Abonnement Bac 120 L {issued_on.year}", 1, total_ht, total_ht)]
    subscription = account.subscriptions.order_by("-subscribed_on").first()
    invoice = Invoice.objects.create(
        authority_id=account.authority_id,
        account=account,
        subscription=subscription,
        collection_address=subscription.address_line if subscription else "",
        run=run,
        tariff=run.tariff if run else None,
        status=status,
        year=issued_on.year,
        number="" if simulated else number,
        issued_on=issued_on,
        due_on=due_on or issued_on + datetime.timedelta(days=30),
        period_start=period[0],
        period_end=period[1],
        total_ht_cents=total_ht,
        vat_rate_bp=vat_rate_bp,
        vat_cents=vat_cents,
        total_cents=total_cents,
        payer_name=f"{account.civility} {account.holder_name}".strip(),
        payer_address=account.billing_address_line,
        direct_debit=direct_debit,
        published_at=None if simulated or not published else timezone.now(),
        paid_at=paid_at
        if paid_at is not None
        else (timezone.now() if status == InvoiceStatus.PAID else None),
        paid_by="carte" if status == InvoiceStatus.PAID else "",
    )
    InvoiceLine.objects.bulk_create(
        InvoiceLine(
            authority_id=account.authority_id,
            invoice=invoice,
            position=position,
            kind=line[4]
            if len(line) > 4
            else (LineKind.FIXED if position == 0 else LineKind.OTHER),
            label=line[0],
            quantity=line[1],
            unit_cents=line[2],
            amount_cents=line[3],
        )
        for position, line in enumerate(lines)
    )
    return invoice


def make_seed_invoice(account, **fields) -> Invoice:
    """Seed 004's invoice 2300240069928 of 02/07/2023 for 87,94 € TTC, unpaid: the year's
    subscription and 19 lifts beyond the 12 included."""
    lines = [
        ("Abonnement Bac 120 L du 01/01/2023 au 31/12/2023", 1, 2144, 2144),
        ("Levées incluses dans le forfait : 12 sur 12", 12, 0, 0, LineKind.INCLUDED),
        ("19 levées supplémentaires × 3,50 €", 19, 350, 6650, LineKind.EXTRA),
    ]
    values = {
        "number": SEED_NUMBER,
        "issued_on": datetime.date(2023, 7, 2),
        "total_cents": 8794,
        "lines": lines,
    }
    values.update(fields)
    return make_invoice(account, **values)


def make_simulation(account, *, year: int = 2024, run_status: str = RunStatus.DONE, **run_fields):
    """The account's invoice in a simulation run (« facture à blanc ») of `year`: 60,00 € of
    subscription and 9 extra lifts, 91,50 € TTC."""
    run = make_run(
        account.authority, kind=RunKind.SIMULATION, status=run_status, year=year, **run_fields
    )
    return make_invoice(
        account,
        number="",
        issued_on=datetime.date(year, 1, 15),
        total_cents=9150,
        status=InvoiceStatus.SIMULATED,
        run=run,
        lines=[
            (f"Abonnement Bac 120 L du 01/01/{year} au 31/12/{year}", 1, 6000, 6000),
            ("9 levées supplémentaires × 3,50 €", 9, 350, 3150, LineKind.EXTRA),
        ],
    )
