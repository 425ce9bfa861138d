"""Reads of the billing back office: the grids by year with their history, the runs, their
invoices, an account's invoices and the payments received. Each list is a fixed number of
queries whatever its length."""

import datetime
from dataclasses import dataclass, field

from django.db.models import Exists, F, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from levee.payments.models import Payment, PaymentStatus

from .models import BillingRun, Invoice, InvoiceSequence, InvoiceStatus, Tariff, TariffPlan
from .selectors import day_bounds
from .selectors_credit_notes import credited_subquery


@dataclass
class TariffYear:
    year: int
    versions: list = field(default_factory=list)  # newest first: versions[0] is in force
    plans: list = field(default_factory=list)  # the plans of the version in force

    @property
    def in_force(self) -> Tariff:
        return self.versions[0]


def tariff_years(authority) -> list[TariffYear]:
    """The authority's grids, newest year first, each with its versions (the one in force
    first, `used` when an invoice was computed with it) and the plans in force. Two queries."""
    tariffs = (
        Tariff.objects.filter(authority=authority)
        .select_related("created_by")
        .annotate(used=Exists(Invoice.objects.filter(tariff=OuterRef("pk"))))
        .order_by("-year", "-version")
    )
    years: dict[int, TariffYear] = {}
    for tariff in tariffs:
        years.setdefault(tariff.year, TariffYear(tariff.year)).versions.append(tariff)
    in_force = {y.in_force.pk: y for y in years.values()}
    for plan in TariffPlan.objects.filter(authority=authority, tariff_id__in=list(in_force)):
        in_force[plan.tariff_id].plans.append(plan)
    return list(years.values())


def tariff_plans(tariff: Tariff) -> list[TariffPlan]:
    return list(TariffPlan.objects.filter(authority_id=tariff.authority_id, tariff=tariff))


def tariff_latest(*, authority, year: int) -> Tariff | None:
    return Tariff.objects.filter(authority=authority, year=year).order_by("-version").first()


def tariff_is_used(tariff: Tariff) -> bool:
    return Invoice.objects.filter(authority_id=tariff.authority_id, tariff=tariff).exists()


def invoice_sequences(authority) -> list[InvoiceSequence]:
    return list(InvoiceSequence.objects.filter(authority=authority).order_by("-year"))


def runs_for_backoffice(authority):
    return BillingRun.objects.filter(authority=authority).order_by("-created_at", "-pk")


def run_invoices(run: BillingRun):
    """The invoices of a run in number order (simulations: in subscription order)."""
    return (
        Invoice.objects.filter(authority_id=run.authority_id, run=run)
        .select_related("account", "subscription")
        .order_by("number", "subscription_id", "pk")
    )


def run_sums(run: BillingRun) -> dict:
    """HT, VAT and TTC of the invoices written so far, in one query."""
    return Invoice.objects.filter(authority_id=run.authority_id, run=run).aggregate(
        ht=Sum("total_ht_cents"), vat=Sum("vat_cents"), ttc=Sum("total_cents")
    )


def invoices_for_account(account):
    """An account's invoices for its page of the back office, the latest first, each with
    what its payments brought (`paid_cents`, a part paid), what its avoirs took off
    (`credited_cents`) and what is left (`left_cents`)."""
    paid = (
        Payment.objects.filter(invoice_id=OuterRef("pk"), status=PaymentStatus.PAID)
        .order_by()
        .values("invoice_id")
        .annotate(v=Sum("amount_cents"))
        .values("v")
    )
    return (
        Invoice.objects.filter(authority_id=account.authority_id, account=account)
        .annotate(
            paid_cents=Subquery(paid),
            credited_cents=credited_subquery(),
            left_cents=F("total_cents")
            - Coalesce(credited_subquery(), Value(0))
            - Coalesce(Subquery(paid), Value(0)),
        )
        .select_related("run")
        .order_by("-issued_on", "-number", "-pk")
    )


def invoice_lines(invoice: Invoice):
    return invoice.lines.filter(authority_id=invoice.authority_id).order_by("position")


def invoice_payments(invoice: Invoice):
    """The payments of an invoice (online, recorded by an agent, imported), as its page
    lists them."""
    return invoice.payments.filter(authority_id=invoice.authority_id).select_related(
        "recorded_by", "collection_import"
    )


def payments_received(authority, start: datetime.date, end: datetime.date):
    """The payments of the authority's invoices confirmed paid from `start` to `end`
    (local days, inclusive), in the order they were paid."""
    first, after = day_bounds(start, end)
    return (
        Payment.objects.filter(
            authority=authority,
            status=PaymentStatus.PAID,
            paid_at__gte=first,
            paid_at__lt=after,
        )
        .select_related("invoice", "account")
        .order_by("paid_at", "pk")
    )


@dataclass
class Settled:
    """One règlement of an account: money received for one of its invoices."""

    on: datetime.date
    amount_cents: int
    mode: str
    invoice_id: int
    invoice_number: str
    note: str = ""


# How the previous software (and the demo) names the way an invoice was paid.
PAID_BY_WORDS = {
    "carte": "Carte bancaire",
    "prelevement": "Prélèvement",
    "prélèvement": "Prélèvement",
    "cheque": "Chèque",
    "chèque": "Chèque",
    "virement": "Virement",
    "especes": "Espèces",
    "espèces": "Espèces",
}


def payments_of_account(account, *, limit: int = 10) -> list[Settled]:
    """An account's latest règlements, newest first, for its page of the back office:
    its online payments settled paid, its debits taken (in régie mode those transmitted to
    the bank and not rejected, in PES mode those whose date has come), and its invoices
    recorded as paid otherwise (brought from the previous software). Three queries."""
    from levee.payments.models import DebitStatus, ScheduledDebit
    from levee.treasury.selectors import authority_sends_titles

    today = timezone.localdate()
    rows: list[Settled] = []
    online = (
        Payment.objects.filter(
            authority_id=account.authority_id,
            account=account,
            status__in=[PaymentStatus.PAID, PaymentStatus.DUPLICATE],
        )
        .select_related("invoice")
        .order_by("-paid_at", "-pk")[:limit]
    )
    for p in online:
        rows.append(
            Settled(
                on=timezone.localdate(p.paid_at) if p.paid_at else timezone.localdate(p.created_at),
                amount_cents=p.amount_cents if p.paid_amount_cents is None else p.paid_amount_cents,
                mode=p.get_method_display() or "Paiement en ligne",
                invoice_id=p.invoice_id,
                invoice_number=p.invoice.number,
                note="payé en double (à rembourser)" if p.status == PaymentStatus.DUPLICATE else "",
            )
        )
    taken = [DebitStatus.SENT]
    if authority_sends_titles(account.authority):
        taken.append(DebitStatus.PLANNED)
    debits = (
        ScheduledDebit.objects.filter(
            authority_id=account.authority_id,
            invoice__account=account,
            status__in=taken,
            due_on__lte=today,
        )
        .exclude(invoice__status=InvoiceStatus.CANCELLED)
        .select_related("invoice")
        .order_by("-due_on", "-pk")[:limit]
    )
    for d in debits:
        rows.append(
            Settled(
                on=d.due_on,
                amount_cents=d.amount_cents,
                mode="Prélèvement",
                invoice_id=d.invoice_id,
                invoice_number=d.invoice.number,
            )
        )
    recorded = (
        Invoice.objects.filter(
            authority_id=account.authority_id, account=account, status=InvoiceStatus.PAID
        )
        .exclude(Exists(Payment.objects.filter(invoice=OuterRef("pk"), status=PaymentStatus.PAID)))
        .exclude(
            Exists(
                ScheduledDebit.objects.filter(invoice=OuterRef("pk")).exclude(
                    status__in=[DebitStatus.CANCELLED, DebitStatus.REJECTED]
                )
            )
        )
        .order_by("-paid_at", "-pk")[:limit]
    )
    for i in recorded:
        rows.append(
            Settled(
                on=timezone.localdate(i.paid_at),
                amount_cents=i.total_cents,
                mode=PAID_BY_WORDS.get(i.paid_by.lower(), i.paid_by.capitalize() or "—"),
                invoice_id=i.pk,
                invoice_number=i.number,
            )
        )
    rows.sort(key=lambda r: (r.on, r.invoice_id), reverse=True)
    return rows[:limit]
