"""SEPA direct debit: the mandates of accounts, which invoices they pay and when (the
« échéancier »).

Two schedules (`DebitSchedule`):

- « Prélèvement à l'échéance de chaque facture »: one debit of the whole invoice at its due
  date;
- « Prélèvement mensuel »: the invoice is split into monthly debits on the `DEBIT_DAY` of
  each month, from the month after it is issued (or after today, for an invoice issued
  before the mandate), as many as its period has months but at most `MONTHLY_MAX_DEBITS`
  (ten: the usual monthly plan of French public bodies, which leaves the last months of a
  yearly invoice free before the next one), never more than its cents. The amounts differ
  by one cent at most, the first ones carrying the remainder, and add up to the total.

A debit is planned once per invoice: while an invoice has a planned or transmitted debit,
planning it again changes nothing.
"""

import dataclasses
import datetime
import re
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from levee.billing.models import CreditNote, Invoice, InvoiceStatus
from levee.payments.models import (
    DebitSchedule,
    DebitStatus,
    Mandate,
    MandateStatus,
    PaymentSettings,
    ScheduledDebit,
)
from levee.subscribers.models import PaymentMode, Subscription

DEBIT_DAY = 10
MONTHLY_MAX_DEBITS = 10
RUM_MAX_LENGTH = 35
# Beyond this many accounts, the active mandates are read per authority rather than by id.
_ACCOUNTS_BY_ID = 2000

NO_CREDITOR_IDENTIFIER = (
    "L'identifiant créancier SEPA (ICS) de la collectivité n'est pas renseigné dans ses "
    "réglages de paiement : le mandat ne peut pas être créé sans lui. Faites-le renseigner, "
    "puis acceptez à nouveau la demande."
)


class MandateRefused(Exception):
    """The mandate cannot be created or revoked as asked; the message, in French, says why."""


def _month_add(day: datetime.date, months: int) -> datetime.date:
    index = day.year * 12 + day.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, DEBIT_DAY)


def _months_in(start: datetime.date, end: datetime.date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month + 1


def cents_split(total_cents: int, parts: int) -> list[int]:
    """`total_cents` in `parts` amounts differing by one cent at most (the first ones take
    the remainder); they add up to the total."""
    base, remainder = divmod(total_cents, parts)
    return [base + 1 if k < remainder else base for k in range(parts)]


def debits_of(
    *,
    schedule: str,
    total_cents: int,
    issued_on: datetime.date,
    due_on: datetime.date,
    period_start: datetime.date,
    period_end: datetime.date,
    today: datetime.date,
) -> list[tuple[datetime.date, int]]:
    """The (date, cents) debits of an invoice under a schedule; none when nothing is due."""
    if total_cents <= 0:
        return []
    if schedule != DebitSchedule.MONTHLY:
        return [(max(due_on, today), total_cents)]
    months = min(MONTHLY_MAX_DEBITS, max(1, _months_in(period_start, period_end)), total_cents)
    first = _month_add(max(issued_on, today), 1)
    return [
        (_month_add(first, k), cents) for k, cents in enumerate(cents_split(total_cents, months))
    ]


def _active_mandates(invoices: list[Invoice]) -> dict[int, Mandate]:
    accounts = {i.account_id for i in invoices}
    mandates = Mandate.objects.filter(
        authority_id__in={i.authority_id for i in invoices}, status=MandateStatus.ACTIVE
    )
    if len(accounts) <= _ACCOUNTS_BY_ID:
        mandates = mandates.filter(account_id__in=accounts)
    return {m.account_id: m for m in mandates if m.account_id in accounts}


@transaction.atomic
def invoices_debit_plan(*, invoices: Iterable[Invoice], today: datetime.date | None = None) -> int:
    """Mark the published, unpaid invoices of accounts holding an active mandate as debited
    and write their coming debits under the mandate's schedule. Called when a real billing
    run publishes its invoices and when a mandate is accepted; running it twice on the same
    invoices changes nothing. Returns the invoices debited."""
    today = today or timezone.localdate()
    invoices = [
        i for i in invoices if i.number and i.status == InvoiceStatus.OPEN and i.total_cents > 0
    ]
    if not invoices:
        return 0
    mandates = _active_mandates(invoices)
    # What the invoices' avoirs took off is not debited; one fully cancelled is not.
    credited = dict(
        CreditNote.objects.filter(invoice_id__in=[i.pk for i in invoices])
        .values("invoice_id")
        .annotate(v=Sum("total_cents"))
        .values_list("invoice_id", "v")
    )
    debited = [
        i
        for i in invoices
        if i.account_id in mandates and i.total_cents - credited.get(i.pk, 0) > 0
    ]
    if not debited:
        return 0
    planned_already = set(
        ScheduledDebit.objects.filter(
            invoice_id__in=[i.pk for i in debited],
            status__in=[DebitStatus.PLANNED, DebitStatus.SENT],
        ).values_list("invoice_id", flat=True)
    )
    Invoice.objects.filter(
        authority_id__in={i.authority_id for i in debited}, pk__in=[i.pk for i in debited]
    ).update(direct_debit=True)
    ScheduledDebit.objects.bulk_create(
        [
            ScheduledDebit(
                authority_id=i.authority_id,
                mandate=mandates[i.account_id],
                invoice=i,
                due_on=on,
                amount_cents=cents,
            )
            for i in debited
            if i.pk not in planned_already
            for on, cents in debits_of(
                schedule=mandates[i.account_id].schedule,
                total_cents=i.total_cents - credited.get(i.pk, 0),
                issued_on=i.issued_on,
                due_on=i.due_on,
                period_start=i.period_start,
                period_end=i.period_end,
                today=today,
            )
        ],
        ignore_conflicts=True,
    )
    for i in debited:
        i.direct_debit = True
    return len(debited)


def rum_next(*, authority, account) -> str:
    """« RUM-<authority code>-<code usager>-<n> », n counting the account's mandates; at
    most 35 characters of the SEPA set, unique within the authority."""
    code = re.sub(r"[^A-Za-z0-9]", "", account.code)
    n = Mandate.objects.filter(authority_id=authority.pk, account=account).count() + 1
    while True:
        suffix = f"-{n}"
        head = f"RUM-{authority.code}-"
        rum = head + code[: RUM_MAX_LENGTH - len(head) - len(suffix)] + suffix
        if not Mandate.objects.filter(authority_id=authority.pk, rum=rum).exists():
            return rum
        n += 1


def creditor_identifier_of(authority) -> str:
    """The authority's SEPA creditor identifier (ICS), "" when it has none."""
    ics = (
        PaymentSettings.objects.filter(authority_id=authority.pk)
        .values_list("creditor_identifier", flat=True)
        .first()
    )
    return (ics or "").strip()


def _running_subscriptions(account, today: datetime.date):
    return Subscription.objects.filter(authority_id=account.authority_id, account=account).filter(
        Q(ended_on__isnull=True) | Q(ended_on__gte=today)
    )


def invoices_to_debit(account, *, today: datetime.date):
    """The account's published invoices still to pay and not yet due: a new mandate debits
    them."""
    return (
        Invoice.objects.filter(
            authority_id=account.authority_id,
            account=account,
            status=InvoiceStatus.OPEN,
            due_on__gte=today,
            total_cents__gt=0,
        )
        .exclude(number="")
        .order_by("due_on", "number")
    )


@dataclasses.dataclass
class MandateCreated:
    mandate: Mandate
    replaced: Mandate | None
    invoices_debited: int


@transaction.atomic
def mandate_create(
    *,
    account,
    schedule: str,
    holder_name: str,
    iban: str,
    bic: str,
    signed_on: datetime.date,
    service_request=None,
    today: datetime.date | None = None,
) -> MandateCreated:
    """A new active mandate of the account under its authority's ICS, with a new RUM.

    The mandate it replaces is revoked and the debits it still had planned move to the new
    one unchanged (the resident was told those dates); the account's running subscriptions
    are paid by direct debit from this IBAN; its invoices to pay and not yet due are debited
    under the new schedule. MandateRefused when the authority has no ICS."""
    today = today or timezone.localdate()
    authority = account.authority
    ics = creditor_identifier_of(authority)
    if not ics:
        raise MandateRefused(NO_CREDITOR_IDENTIFIER)
    replaced = (
        Mandate.objects.select_for_update()
        .filter(authority_id=authority.pk, account=account, status=MandateStatus.ACTIVE)
        .first()
    )
    if replaced is not None:
        _revoke(replaced, today=today)
    mandate = Mandate.objects.create(
        authority=authority,
        account=account,
        rum=rum_next(authority=authority, account=account),
        creditor_identifier=ics,
        schedule=schedule,
        holder_name=holder_name,
        iban=iban,
        bic=bic,
        signed_on=signed_on,
        request=service_request,
    )
    if replaced is not None:
        ScheduledDebit.objects.filter(mandate=replaced, status=DebitStatus.PLANNED).update(
            mandate=mandate
        )
    _running_subscriptions(account, today).update(
        payment_mode=PaymentMode.DIRECT_DEBIT, iban=iban, updated_at=timezone.now()
    )
    debited = invoices_debit_plan(
        invoices=list(invoices_to_debit(account, today=today)), today=today
    )
    return MandateCreated(mandate=mandate, replaced=replaced, invoices_debited=debited)


def _revoke(mandate: Mandate, *, today: datetime.date) -> None:
    revoked = Mandate.objects.filter(pk=mandate.pk, status=MandateStatus.ACTIVE).update(
        status=MandateStatus.REVOKED, revoked_on=today, updated_at=timezone.now()
    )
    if revoked != 1:
        raise MandateRefused("Ce mandat est déjà révoqué.")
    mandate.status, mandate.revoked_on = MandateStatus.REVOKED, today


@dataclasses.dataclass
class MandateRevoked:
    mandate: Mandate
    debits_cancelled: int
    invoices_payable: int


@transaction.atomic
def mandate_revoke(*, mandate: Mandate, today: datetime.date | None = None) -> MandateRevoked:
    """Stops direct debit: the mandate is revoked, its planned debits are cancelled, and the
    invoices it was to pay are payable again (all but those of which a debit has already
    gone to the bank); the running subscriptions go back to « À réception de facture ».
    MandateRefused when it was revoked already."""
    today = today or timezone.localdate()
    _revoke(mandate, today=today)
    return _debits_stop(mandate, today=today)


@transaction.atomic
def mandate_suspend(
    *, mandate: Mandate, today: datetime.date | None = None
) -> MandateRevoked | None:
    """Two debits in a row rejected by the bank: the mandate is suspended (no file carries
    it any more), its planned debits are cancelled and its invoices are to pay again, as
    when it is revoked. A mandate not active is left as it is (returns None)."""
    today = today or timezone.localdate()
    suspended = Mandate.objects.filter(pk=mandate.pk, status=MandateStatus.ACTIVE).update(
        status=MandateStatus.SUSPENDED, suspended_on=today, updated_at=timezone.now()
    )
    if suspended != 1:
        return None
    mandate.status, mandate.suspended_on = MandateStatus.SUSPENDED, today
    return _debits_stop(mandate, today=today)


def _debits_stop(mandate: Mandate, *, today: datetime.date) -> MandateRevoked:
    cancelled = ScheduledDebit.objects.filter(mandate=mandate, status=DebitStatus.PLANNED).update(
        status=DebitStatus.CANCELLED
    )
    payable = (
        Invoice.objects.filter(
            authority_id=mandate.authority_id,
            account_id=mandate.account_id,
            status=InvoiceStatus.OPEN,
            direct_debit=True,
        )
        .exclude(debits__status=DebitStatus.SENT)
        .update(direct_debit=False, updated_at=timezone.now())
    )
    _running_subscriptions(mandate.account, today).filter(
        payment_mode=PaymentMode.DIRECT_DEBIT
    ).update(payment_mode=PaymentMode.INVOICE, iban="", updated_at=timezone.now())
    return MandateRevoked(mandate=mandate, debits_cancelled=cancelled, invoices_payable=payable)
