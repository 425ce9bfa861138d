"""Reads of the payments: where an invoice's settlement stands (the « Règlement » cell),
which waiting payments the periodic job checks."""

import datetime
import enum
from dataclasses import dataclass

from django.db.models import Count, F, Max, Min, OuterRef, Q, QuerySet, Subquery, Sum

from levee.billing.models import BillingSettings, Invoice, InvoiceStatus
from levee.billing.selectors_credit_notes import credited_subquery, invoice_net_cents
from levee.payments.gateways import online_payment_offered
from levee.payments.models import DebitStatus, Payment, PaymentStatus, ScheduledDebit
from levee.treasury.selectors import (
    authority_sends_titles,
    invoice_title_year,
    invoices_annotate_title,
)

DEFAULT_GRACE_DAYS = BillingSettings._meta.get_field("online_payment_grace_days").default

# A payment still waiting this long after it started is expired by the periodic job
# (PayFiP forgets an idop overnight; a gateway unreachable that long will not say more):
# « en cours de vérification jusqu'au … au plus tard ».
MAX_WAIT = datetime.timedelta(days=1)


class Settlement(enum.StrEnum):
    PAID = "paid"  # « Réglée le 12/07/2023 »
    DEBITED = "debited"  # « Prélèvement le … »: a SEPA mandate pays it
    WAITING = "waiting"  # a payment started, not yet confirmed
    PAYABLE = "payable"  # « Régler »
    # PES mode: the invoice's rôle is not yet accepted by the public accountant, so PayFiP
    # knows no such title yet: « Titre en cours de prise en charge ».
    TITLE_PENDING = "title_pending"
    CLOSED = "closed"  # online payment closed: the treasury collects it
    OFFLINE = "offline"  # the authority offers no online payment (no real gateway yet)
    NOTHING_DUE = "nothing_due"  # nothing to pay (zero total), or not a real invoice
    CREDITED = "credited"  # « Annulée par avoir »: its avoirs took all of it off


@dataclass(frozen=True)
class SettlementState:
    state: Settlement
    # The last day « Régler » is offered (the due date plus the grace days).
    closes_on: datetime.date | None = None
    # A waiting payment: when it started (« Paiement commencé le … »).
    waiting_since: datetime.datetime | None = None
    # A debited invoice: its échéancier's first and last dates and how many debits.
    debits_first: datetime.date | None = None
    debits_last: datetime.date | None = None
    debits_count: int = 0
    # PES mode: the exercice of the title (its bordereau's Exer), PayFiP's `exer`.
    title_year: int | None = None
    # An invoice still due: what its payments left to pay (« Reste à payer : 12,34 € »),
    # and whether some were received already (a part paid).
    left_cents: int | None = None
    partly_paid: bool = False
    # What the invoice's avoirs took off it (its rest to pay counts them).
    credited_cents: int = 0

    @property
    def checked_until(self) -> datetime.datetime | None:
        """The latest a waiting payment is asked about before the periodic job expires it."""
        return self.waiting_since + MAX_WAIT if self.waiting_since else None

    @property
    def payable(self) -> bool:
        return self.state == Settlement.PAYABLE


def online_payment_grace_days(authority) -> int:
    """Days after the due date during which an invoice can be paid online. Read through
    the authority's reverse one-to-one, so a page showing many invoices of one authority
    reads it once (the missing row too is cached)."""
    try:
        return authority.billing_settings.online_payment_grace_days
    except BillingSettings.DoesNotExist:
        return DEFAULT_GRACE_DAYS


def _waiting_payments(invoice_pk, authority_id) -> QuerySet[Payment]:
    return Payment.objects.filter(
        authority_id=authority_id, invoice_id=invoice_pk, status=PaymentStatus.WAITING
    )


def _paid_payments(invoice_pk, authority_id) -> QuerySet[Payment]:
    return Payment.objects.filter(
        authority_id=authority_id, invoice_id=invoice_pk, status=PaymentStatus.PAID
    )


def invoice_paid_cents(invoice: Invoice) -> int:
    """What the invoice's payments brought so far (online, recorded, imported): the sum of
    those paid; a payment « payé en double » is not counted (it is to be refunded)."""
    if hasattr(invoice, "paid_cents"):
        return invoice.paid_cents or 0
    return (
        _paid_payments(invoice.pk, invoice.authority_id).aggregate(v=Sum("amount_cents"))["v"] or 0
    )


def invoice_left_cents(invoice: Invoice) -> int:
    """What is left to pay on the invoice: its amount after its avoirs less its payments
    (never below zero; zero once paid)."""
    if invoice.status == InvoiceStatus.PAID:
        return 0
    return max(invoice_net_cents(invoice) - invoice_paid_cents(invoice), 0)


def _debits_of(invoice_pk, authority_id) -> QuerySet[ScheduledDebit]:
    return (
        ScheduledDebit.objects.filter(authority_id=authority_id, invoice_id=invoice_pk)
        .exclude(status=DebitStatus.CANCELLED)
        .order_by()
        .values("invoice_id")
    )


def invoices_annotate_settlement(invoices: QuerySet) -> QuerySet:
    """Adds `waiting_payment_since` (when its waiting payment started, or None), its
    échéancier (`debits_first`, `debits_last`, `debits_count`) and what its payments
    brought (`paid_cents`) and what its avoirs took off (`credited_cents`) to each invoice,
    so a list of invoices shows its « Règlement » cells without one query per row."""
    debits = _debits_of(OuterRef("pk"), OuterRef("authority_id"))
    paid = (
        _paid_payments(OuterRef("pk"), OuterRef("authority_id"))
        .order_by()
        .values("invoice_id")
        .annotate(v=Sum("amount_cents"))
        .values("v")
    )
    return invoices_annotate_title(invoices).annotate(
        paid_cents=Subquery(paid),
        credited_cents=credited_subquery(),
        waiting_payment_since=Subquery(
            _waiting_payments(OuterRef("pk"), OuterRef("authority_id")).values("created_at")[:1]
        ),
        debits_first=Subquery(debits.annotate(v=Min("due_on")).values("v")),
        debits_last=Subquery(debits.annotate(v=Max("due_on")).values("v")),
        debits_count=Subquery(debits.annotate(v=Count("pk")).values("v")),
    )


def invoice_debits(invoice: Invoice) -> tuple[datetime.date | None, datetime.date | None, int]:
    """(first date, last date, count) of the invoice's coming or sent debits."""
    if hasattr(invoice, "debits_count"):
        return invoice.debits_first, invoice.debits_last, invoice.debits_count or 0
    rows = list(
        _debits_of(invoice.pk, invoice.authority_id).annotate(
            first=Min("due_on"), last=Max("due_on"), count=Count("pk")
        )
    )
    return (rows[0]["first"], rows[0]["last"], rows[0]["count"]) if rows else (None, None, 0)


def invoice_waiting_payment_since(invoice: Invoice) -> datetime.datetime | None:
    """When the invoice's waiting payment started; None when none waits."""
    if hasattr(invoice, "waiting_payment_since"):
        return invoice.waiting_payment_since
    return (
        _waiting_payments(invoice.pk, invoice.authority_id)
        .values_list("created_at", flat=True)
        .first()
    )


def settlement_state(
    invoice: Invoice, *, today: datetime.date, authority=None, ignore_waiting: bool = False
) -> SettlementState:
    """Where the invoice's settlement stands today, as the « Règlement » cell shows it, and
    whether « Régler » may start a payment (`ignore_waiting`: as if no payment waited)."""
    if invoice.status == InvoiceStatus.PAID:
        return SettlementState(Settlement.PAID)
    if invoice.status != InvoiceStatus.OPEN or not invoice.number or invoice.total_cents <= 0:
        return SettlementState(Settlement.NOTHING_DUE)
    net = invoice_net_cents(invoice)
    if net <= 0:
        return SettlementState(Settlement.CREDITED)
    paid = invoice_paid_cents(invoice)
    left = {
        "left_cents": max(net - paid, 0),
        "partly_paid": paid > 0,
        "credited_cents": invoice.total_cents - net,
    }
    if invoice.direct_debit:
        first, last, count = invoice_debits(invoice)
        return SettlementState(
            Settlement.DEBITED, debits_first=first, debits_last=last, debits_count=count, **left
        )
    waiting_since = None if ignore_waiting else invoice_waiting_payment_since(invoice)
    if waiting_since is not None:
        return SettlementState(Settlement.WAITING, waiting_since=waiting_since, **left)
    authority = authority or invoice.authority
    title_year = None
    # In PES mode an invoice of a run is paid as a title once its rôle is accepted; one
    # brought from the previous software (no run) counts as a title already taken in charge.
    if invoice.run_id is not None and authority_sends_titles(authority):
        title_year = invoice_title_year(invoice)
        if title_year is None:
            return SettlementState(Settlement.TITLE_PENDING, **left)
    if not online_payment_offered(authority):
        return SettlementState(Settlement.OFFLINE, **left)
    grace = online_payment_grace_days(authority)
    closes_on = invoice.due_on + datetime.timedelta(days=grace)
    if today > closes_on:
        return SettlementState(Settlement.CLOSED, closes_on=closes_on, **left)
    return SettlementState(Settlement.PAYABLE, closes_on=closes_on, title_year=title_year, **left)


def payments_due_for_check(*, now: datetime.datetime, limit: int = 200) -> list[Payment]:
    """The waiting payments the periodic job asks their gateway about: each one first
    `FIRST_CHECK_AFTER` after it started (the notification usually comes before), then
    with a back-off doubling from one minute up to an hour between checks."""
    candidates = (
        Payment.objects.filter(
            status=PaymentStatus.WAITING, created_at__lte=now - FIRST_CHECK_AFTER
        )
        .filter(Q(last_checked_at__isnull=True) | Q(last_checked_at__lte=now - MIN_BACKOFF))
        .select_related("authority")
        .order_by("last_checked_at", "created_at")
    )
    due = []
    for payment in candidates.iterator(chunk_size=500):
        if (
            payment.last_checked_at is None
            or payment.last_checked_at + backoff(payment.checks) <= now
        ):
            due.append(payment)
            if len(due) == limit:
                break
    return due


FIRST_CHECK_AFTER = datetime.timedelta(minutes=5)
MIN_BACKOFF = datetime.timedelta(minutes=1)
MAX_BACKOFF = datetime.timedelta(hours=1)


def backoff(checks: int) -> datetime.timedelta:
    return min(MIN_BACKOFF * 2 ** min(checks, 10), MAX_BACKOFF)


def payments_to_check(authority) -> QuerySet[Payment]:
    """« Paiements à vérifier »: the authority's payments an agent has not checked yet whose
    amount paid differs from the amount asked, that paid an invoice already paid, or that
    brought more than was left to pay (a trop-perçu, `excess_cents`)."""
    differs = Q(paid_amount_cents__isnull=False) & ~Q(paid_amount_cents=F("amount_cents"))
    return (
        Payment.objects.filter(authority=authority, reviewed_at__isnull=True)
        .filter(differs | Q(status=PaymentStatus.DUPLICATE) | Q(excess_cents__gt=0))
        .select_related("invoice", "account")
        .order_by("-paid_at", "-pk")
    )


def collection_imports_of(authority) -> QuerySet:
    """The authority's imports of the accountant's collections, newest first."""
    from levee.payments.models import CollectionImport

    return CollectionImport.objects.filter(authority=authority).select_related("imported_by")
