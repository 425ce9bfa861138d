"""Writes of billing: billing runs, their invoices, numbering and publishing.

A run bills the subscriptions active in its period in chunks, in order of pk. Each chunk is
one transaction that holds the run's row lock (and, for a real run, the lock of the year's
`InvoiceSequence` row), reads the chunk's usage in one query, and writes its invoices and
lines in bulk: a crash rolls back the chunk with its numbers, a rerun resumes after
the last committed chunk, and workers executing the same run take turns on the lock — so
numbers have neither holes nor duplicates.
"""

import datetime
import logging
from types import SimpleNamespace

from django.db import transaction
from django.db.models import Count, Max, Min, Q
from django.urls import reverse
from django.utils import timezone

from levee.accounts.models import AccountAccess
from levee.lib.bulk import bulk_insert
from levee.lib.templatetags.levee_format import euros
from levee.mailing.services import mail_enqueue_many
from levee.subscribers.models import Account, Subscription, SubscriptionKind

from . import pricing
from .models import (
    BillingRun,
    BillingSettings,
    Invoice,
    InvoiceLine,
    InvoiceSequence,
    InvoiceStatus,
    RunKind,
    RunStatus,
)
from .selectors import plans_of_subscriptions, tariff_in_force, usage_of_subscriptions

logger = logging.getLogger(__name__)

CHUNK_SIZE = 1000
SEQUENCE_MAX = 999_999


class BillingError(Exception):
    """A billing that cannot be done; its message is French, for the agent."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def period_of(*, year: int, half: int | None) -> tuple[datetime.date, datetime.date, str]:
    """(first day, last day, label) of a year or of its 1st/2nd half-year."""
    if half is None:
        return datetime.date(year, 1, 1), datetime.date(year, 12, 31), str(year)
    if half == 1:
        return datetime.date(year, 1, 1), datetime.date(year, 6, 30), f"1er semestre {year}"
    if half == 2:
        return datetime.date(year, 7, 1), datetime.date(year, 12, 31), f"2e semestre {year}"
    raise BillingError("Le semestre doit être 1 ou 2.")


def billing_period_unfinished(*, period_end: datetime.date, today: datetime.date) -> str:
    """What a real run over a period not over yet must say before it starts (the back
    office asks for « Confirmer la facturation réelle », the command prints it and goes
    on); empty once the period is over."""
    if period_end < today:
        return ""
    return (
        f"La période n'est pas terminée : du {today:%d/%m/%Y} au {period_end:%d/%m/%Y}, les "
        "jours ne sont pas encore écoulés et leurs levées ne seront pas facturées."
    )


def billing_settings_for(*, authority) -> BillingSettings:
    settings, _ = BillingSettings.objects.get_or_create(authority=authority)
    return settings


def invoice_sequence_for(*, authority, year: int) -> InvoiceSequence:
    """The authority's numbering of `year`, created (starting at 1) on first use."""
    sequence, _ = InvoiceSequence.objects.get_or_create(
        authority=authority, year=year, defaults={"first_value": 1, "next_value": 1}
    )
    return sequence


@transaction.atomic
def invoice_sequence_first_value_set(*, authority, year: int, first_value: int) -> InvoiceSequence:
    """Sets the first number of the year, as long as no invoice of that year is numbered."""
    if not 1 <= first_value <= SEQUENCE_MAX:
        raise BillingError(f"Le premier numéro doit être compris entre 1 et {SEQUENCE_MAX}.")
    invoice_sequence_for(authority=authority, year=year)
    sequence = InvoiceSequence.objects.select_for_update().get(authority=authority, year=year)
    if sequence.next_value != sequence.first_value:
        raise BillingError(
            f"Des factures {year} sont déjà numérotées : le premier numéro ne peut plus changer."
        )
    sequence.first_value = sequence.next_value = first_value
    sequence.save(update_fields=["first_value", "next_value"])
    return sequence


def invoice_number(*, year: int, authority_code: str, value: int) -> str:
    """« 2300240069928 »: the year's two digits, the authority's 5-digit code, 6 digits."""
    return f"{year % 100:02d}{authority_code:0>5}{value:06d}"


def invoices_url(authority) -> str:
    """The path of the resident's « Mes factures » of `authority`."""
    return reverse("billing:invoices", kwargs={"slug": authority.slug})


def billing_run_create(
    *,
    authority,
    kind: RunKind,
    year: int,
    half: int | None,
    issued_on: datetime.date,
    due_on: datetime.date | None = None,
    created_by=None,
    enqueue: bool = True,
) -> BillingRun:
    """Creates a run of `authority` for `year` (or its half-year `half`) and enqueues its
    execution (unless `enqueue` is False: the command executes it itself, showing progress).
    Raises BillingError when it cannot be billed."""
    kind = RunKind(kind)
    period_start, period_end, label = period_of(year=year, half=half)
    with transaction.atomic():
        billing_settings_for(authority=authority)
        # The settings row serialises run creations of the authority: two agents creating
        # a real run for the same period at once get one run and one refusal.
        settings = BillingSettings.objects.select_for_update().get(authority=authority)
        tariff = tariff_in_force(authority=authority, year=year)
        if tariff is None:
            raise BillingError(f"Aucune grille tarifaire n'est en vigueur pour {year}.")
        if issued_on < period_start:
            raise BillingError(
                f"La date des factures ne peut pas précéder le début de la période "
                f"({period_start:%d/%m/%Y})."
            )
        if due_on is None:
            due_on = issued_on + datetime.timedelta(days=settings.due_days)
        if due_on < issued_on:
            raise BillingError("La date d'échéance ne peut pas précéder la date des factures.")
        if kind == RunKind.REAL:
            overlapping = (
                BillingRun.objects.filter(
                    authority=authority,
                    kind=RunKind.REAL,
                    period_start__lte=period_end,
                    period_end__gte=period_start,
                )
                # A failed run that numbered nothing is forgotten; one that did is resumed.
                .filter(~Q(status=RunStatus.FAILED) | Q(invoices__isnull=False))
                .distinct()
                .first()
            )
            if overlapping:
                raise BillingError(
                    f"La facturation réelle « {overlapping.label} » couvre déjà cette période"
                    + (
                        " : reprenez-la plutôt que d'en créer une autre."
                        if overlapping.status == RunStatus.FAILED
                        else "."
                    )
                )
            # Invoices brought from the previous billing software have no run: a real run
            # must not bill their days a second time.
            billed = (
                Invoice.objects.filter(
                    authority=authority,
                    period_start__lte=period_end,
                    period_end__gte=period_start,
                )
                .exclude(number="")
                .exclude(status=InvoiceStatus.CANCELLED)
                .order_by("issued_on", "number")
                .first()
            )
            if billed:
                raise BillingError(
                    f"Des factures couvrent déjà cette période (par exemple la facture "
                    f"{billed.number} du {billed.issued_on:%d/%m/%Y}, pour la période du "
                    f"{billed.period_start:%d/%m/%Y} au {billed.period_end:%d/%m/%Y}) : "
                    f"choisissez une période qui n'a pas encore été facturée."
                )
        run = BillingRun.objects.create(
            authority=authority,
            kind=kind,
            label=label,
            period_start=period_start,
            period_end=period_end,
            tariff=tariff,
            issued_on=issued_on,
            due_on=due_on,
            created_by=created_by,
        )
        if enqueue:
            transaction.on_commit(lambda: billing_run_enqueue(run=run), robust=True)
    return run


def billing_run_enqueue(*, run: BillingRun) -> None:
    from .tasks import billing_run_execute_task

    billing_run_execute_task.enqueue(run.pk)


# What billing a subscription reads (its plan, days, payer and address), as plain values:
# a chunk holds thousands, and model instances would cost more than the rest of the chunk.
SUBSCRIPTION_FIELDS = (
    "authority_id",
    "account_id",
    "reference",
    "kind",
    "plan_volume_litres",
    "subscribed_on",
    "ended_on",
    "number",
    "number_suffix",
    "street",
    "complement",
    "postal_code",
)
ACCOUNT_FIELDS = (
    "company_name",
    "last_name",
    "first_name",
    "billing_number",
    "billing_number_suffix",
    "billing_street",
    "billing_line2",
    "billing_postal_code",
    "billing_city",
    "billing_building",
    "billing_staircase",
    "billing_apartment",
    "billing_floor",
    "billing_po_box",
    "billing_city_complement",
)


def _subscriptions_billed(queryset) -> list[SimpleNamespace]:
    """The subscriptions of `queryset` with their account and commune, as plain objects
    that the models' own properties (holder_name, billing_address_line, address_line)
    read like instances."""
    fields = [
        "pk",
        *SUBSCRIPTION_FIELDS,
        "commune__name",
        *(f"account__{name}" for name in ACCOUNT_FIELDS),
    ]
    result = []
    for row in queryset.values(*fields):
        account = SimpleNamespace(**{name: row[f"account__{name}"] for name in ACCOUNT_FIELDS})
        result.append(
            SimpleNamespace(
                **{name: row[name] for name in ("pk", *SUBSCRIPTION_FIELDS)},
                commune=SimpleNamespace(name=row["commune__name"]),
                account=account,
                payer_name=Account.holder_name.fget(account),
                payer_address=Account.billing_address_line.fget(account),
            )
        )
    for sub in result:
        sub.collection_address = Subscription.address_line.fget(sub)
        sub.payer_address = sub.payer_address or sub.collection_address
    return result


def active_subscriptions(run: BillingRun):
    return Subscription.objects.filter(
        authority_id=run.authority_id, subscribed_on__lte=run.period_end
    ).filter(Q(ended_on__isnull=True) | Q(ended_on__gte=run.period_start))


def billing_run_execute(
    *, run_id: int, chunk_size: int = CHUNK_SIZE, on_progress=None
) -> BillingRun:
    """Bills every subscription of the run not billed yet, then publishes a real run.

    Safe to call again on a failed or interrupted run (it resumes) and from several workers
    at once (they take turns chunk by chunk). An error marks the run « Échec » with its
    message; the invoices of the committed chunks stay and the next call resumes.
    `on_progress(run)` is called after each committed chunk.
    """
    claimed = BillingRun.objects.filter(
        pk=run_id, status__in=[RunStatus.PENDING, RunStatus.FAILED, RunStatus.RUNNING]
    ).update(status=RunStatus.RUNNING, message="", finished_at=None, updated_at=timezone.now())
    run = BillingRun.objects.get(pk=run_id)
    if not claimed:
        return run
    if run.started_at is None:
        BillingRun.objects.filter(pk=run_id, started_at__isnull=True).update(
            started_at=timezone.now(),
            subscriptions_total=active_subscriptions(run).count(),
        )
    progress = on_progress or (lambda run: None)
    try:
        while chunk := _chunk_bill(run_id=run_id, chunk_size=chunk_size):
            progress(chunk)
        if run.kind == RunKind.REAL:
            after_pk = 0
            while published := _chunk_publish(
                run_id=run_id, chunk_size=chunk_size, after_pk=after_pk
            ):
                chunk, after_pk = published
                progress(chunk)
        _run_finish(run_id=run_id)
    except Exception as exc:
        logger.exception("billing run %s failed", run_id)
        BillingRun.objects.filter(pk=run_id).update(
            status=RunStatus.FAILED,
            finished_at=timezone.now(),
            message=(
                (
                    exc.message
                    if isinstance(exc, BillingError)
                    else f"La facturation s'est arrêtée sur une erreur ({type(exc).__name__} : "
                    f"{exc})."
                )
                + " Les factures déjà calculées sont conservées ; relancez-la pour la reprendre."
            )[:2000],
        )
    return BillingRun.objects.get(pk=run_id)


def _active_days(
    run: BillingRun, subscription: Subscription
) -> tuple[datetime.date, datetime.date]:
    first = max(run.period_start, subscription.subscribed_on)
    last = run.period_end
    if subscription.ended_on is not None:
        last = min(last, subscription.ended_on)
    return first, last


@transaction.atomic
def _chunk_bill(*, run_id: int, chunk_size: int) -> BillingRun | None:
    """Bills the next chunk of the run; None when nothing is left to bill."""
    run = (
        BillingRun.objects.select_for_update().select_related("tariff", "authority").get(pk=run_id)
    )
    if run.status != RunStatus.RUNNING:
        return None
    subscriptions = _subscriptions_billed(
        active_subscriptions(run)
        .filter(pk__gt=run.cursor_subscription_id)
        .order_by("pk")[:chunk_size]
    )
    if not subscriptions:
        return None
    tariff = run.tariff
    days = {s.pk: _active_days(run, s) for s in subscriptions}
    # A subscription is priced with its own plan, else with the plan of its last billed day
    # (the bin in place then).
    plans = plans_of_subscriptions(
        tariff=tariff, subscriptions=subscriptions, on={pk: d[1] for pk, d in days.items()}
    )
    billable = [s for s in subscriptions if plans[s.pk] is not None]
    usage = usage_of_subscriptions(subscriptions=billable, days=days)

    real = run.kind == RunKind.REAL
    next_value = 0
    sequence = None
    if real and billable:
        invoice_sequence_for(authority=run.authority, year=tariff.year)
        sequence = InvoiceSequence.objects.select_for_update().get(
            authority_id=run.authority_id, year=tariff.year
        )
        next_value = sequence.next_value
        if next_value + len(billable) - 1 > SEQUENCE_MAX:
            raise BillingError(f"La numérotation des factures {tariff.year} est épuisée.")

    invoices, computed = [], []
    for s in billable:
        first, last = days[s.pk]
        lifts, grams = usage.get(s.pk, (0, 0))
        c = pricing.invoice_compute(
            plan=plans[s.pk],
            vat_rate_bp=tariff.vat_rate_bp,
            year=tariff.year,
            first_day=first,
            last_day=last,
            lifts=lifts,
            weight_grams=grams,
            unit_word="ouverture" if s.kind == SubscriptionKind.BADGE else "levée",
        )
        number = ""
        if real:
            number = invoice_number(
                year=tariff.year, authority_code=run.authority.code, value=next_value
            )
            next_value += 1
        invoices.append(
            {
                "authority_id": run.authority_id,
                "account_id": s.account_id,
                "subscription_id": s.pk,
                "run_id": run.pk,
                "tariff_id": tariff.pk,
                "status": InvoiceStatus.OPEN if real else InvoiceStatus.SIMULATED,
                "year": tariff.year,
                "number": number,
                "issued_on": run.issued_on,
                "due_on": run.due_on,
                "period_start": first,
                "period_end": last,
                "total_ht_cents": c.total_ht_cents,
                "vat_rate_bp": c.vat_rate_bp,
                "vat_cents": c.vat_cents,
                "total_cents": c.total_cents,
                "payer_name": s.payer_name[:200],
                "payer_address": s.payer_address[:400],
                "collection_address": s.collection_address[:400],
            }
        )
        computed.append(c)
    invoice_ids = bulk_insert(Invoice, invoices, ids=True)
    bulk_insert(
        InvoiceLine,
        [
            {
                "authority_id": run.authority_id,
                "invoice_id": invoice_id,
                "position": position,
                "kind": line.kind,
                "label": line.label[:200],
                "quantity": line.quantity,
                "unit_cents": line.unit_cents,
                "amount_cents": line.amount_cents,
            }
            for invoice_id, c in zip(invoice_ids, computed, strict=True)
            for position, line in enumerate(c.lines, start=1)
        ],
    )
    if sequence is not None:
        sequence.next_value = next_value
        sequence.save(update_fields=["next_value"])
    run.cursor_subscription_id = subscriptions[-1].pk
    run.invoices_done += len(invoices)
    run.total_cents += sum(c.total_cents for c in computed)
    run.unplanned_references = run.unplanned_references + [
        s.reference for s in subscriptions if plans[s.pk] is None
    ]
    run.save(
        update_fields=[
            "cursor_subscription_id",
            "invoices_done",
            "total_cents",
            "unplanned_references",
            "updated_at",
        ]
    )
    return run


def _recipients(emails: dict[int, str]) -> dict[int, list[str]]:
    """Each account's email (`emails`: account pk → its email, maybe empty), else the
    emails of the logins that reach it."""
    result = {pk: [email] for pk, email in emails.items() if email}
    missing = [pk for pk in emails if pk not in result]
    if missing:
        for account_id, email in AccountAccess.objects.filter(
            account_id__in=missing, user__is_active=True
        ).values_list("account_id", "user__email"):
            result.setdefault(account_id, [])
            if email not in result[account_id]:
                result[account_id].append(email)
    return result


def debits_sentence(*, first: datetime.date, last: datetime.date, count: int) -> str:
    """How a debited invoice will be paid, as « Mes factures » and its email say it."""
    if count == 1:
        return f"Elle sera prélevée le {first:%d/%m/%Y} sur votre compte bancaire."
    return (
        f"Elle sera prélevée en {count} fois, du {first:%d/%m/%Y} au {last:%d/%m/%Y}, sur "
        "votre compte bancaire, selon votre échéancier."
    )


def _debit_sentences(*, authority_id: int, invoice_ids: list[int]) -> dict[int, str]:
    from levee.payments.models import DebitStatus, ScheduledDebit

    rows = (
        ScheduledDebit.objects.filter(authority_id=authority_id, invoice_id__in=invoice_ids)
        .exclude(status=DebitStatus.CANCELLED)
        .values("invoice_id")
        .annotate(first=Min("due_on"), last=Max("due_on"), count=Count("pk"))
    )
    return {
        row["invoice_id"]: debits_sentence(first=row["first"], last=row["last"], count=row["count"])
        for row in rows
    }


@transaction.atomic
def _chunk_publish(*, run_id: int, chunk_size: int, after_pk: int) -> tuple[BillingRun, int] | None:
    """Publishes the next chunk of a real run's invoices: published_at, the « Votre facture
    est disponible » emails and the direct debits. Returns the run and the chunk's last
    invoice pk (the next chunk starts after it, rather than reading the published ones
    again), None when all are published."""
    from levee.payments.mandates import invoices_debit_plan
    from levee.payments.models import Mandate, MandateStatus

    run = BillingRun.objects.select_for_update().select_related("authority").get(pk=run_id)
    if run.status != RunStatus.RUNNING:
        return None
    rows = list(
        Invoice.objects.filter(
            authority_id=run.authority_id,
            run_id=run.pk,
            published_at__isnull=True,
            pk__gt=after_pk,
        )
        .order_by("pk")
        .values_list("pk", "number", "total_cents", "account_id", "account__email")[:chunk_size]
    )
    if not rows:
        return None
    ids = [pk for pk, *_ in rows]
    published = Invoice.objects.filter(
        authority_id=run.authority_id, pk__in=ids, published_at__isnull=True
    ).update(published_at=timezone.now())
    if published != len(rows):
        raise BillingError("Des factures ont été publiées par un autre traitement en même temps.")
    # The debit plan reads whole invoices: only those of accounts that may hold a mandate.
    invoices_debit_plan(
        invoices=Invoice.objects.filter(
            authority_id=run.authority_id,
            pk__in=ids,
            account_id__in=Mandate.objects.filter(
                authority_id=run.authority_id, status=MandateStatus.ACTIVE
            ).values("account_id"),
        )
    )
    # A debited invoice's email gives its échéancier instead of asking to pay it.
    debits = _debit_sentences(authority_id=run.authority_id, invoice_ids=ids)
    recipients = _recipients({account_id: email for *_, account_id, email in rows})
    from levee.treasury.selectors import authority_sends_titles

    context = {
        "issued_on": run.issued_on,
        "due_on": run.due_on,
        "invoices_url": invoices_url(run.authority),
        # PES mode: payable online once the public accountant took its title in charge.
        "titles": authority_sends_titles(run.authority),
    }
    to_pay = [
        (to, {"number": number, "amount": euros(total_cents)})
        for pk, number, total_cents, account_id, _ in rows
        if pk not in debits
        for to in recipients.get(account_id, [])
    ]
    debited = [
        (to, {"number": number, "amount": euros(total_cents), "debits": debits[pk]})
        for pk, number, total_cents, account_id, _ in rows
        if pk in debits
        for to in recipients.get(account_id, [])
    ]
    for messages, is_debited in ((to_pay, False), (debited, True)):
        if messages:
            mail_enqueue_many(
                template="invoice_available",
                context={**context, "debited": is_debited},
                messages=messages,
                authority=run.authority,
            )
    run.invoices_published += len(rows)
    run.save(update_fields=["invoices_published", "updated_at"])
    return run, ids[-1]


@transaction.atomic
def _run_finish(*, run_id: int) -> None:
    run = BillingRun.objects.select_for_update().get(pk=run_id)
    if run.status != RunStatus.RUNNING:
        return
    run.status = RunStatus.DONE
    run.finished_at = timezone.now()
    run.message = run_message(run)
    run.save(update_fields=["status", "finished_at", "message", "updated_at"])


def run_message(run: BillingRun) -> str:
    """What the agent reads about a finished run, in French."""
    done = run.invoices_done
    parts = [f"{done} facture{'s' if done > 1 else ''} calculée{'s' if done > 1 else ''}."]
    unplanned = run.unplanned_references
    if unplanned:
        n = len(unplanned)
        shown = ", ".join(unplanned[:50]) + (" …" if n > 50 else "")
        parts.append(
            f"{n} abonnement{'s' if n > 1 else ''} non facturé{'s' if n > 1 else ''} faute de "
            f"forfait dans la grille tarifaire : {shown}."
        )
    return " ".join(parts)
