"""The reminders of an invoice still due: « Rappel avant échéance » a few days before its
due date and « Relance après échéance » a few days after it, as the authority's billing
settings say (0 turns one off). The periodic job sends each once per invoice.

Never to an invoice paid or cancelled, being debited (a SEPA mandate collects it), nor
with an online payment in progress (`selectors_dunning.invoices_reminder_candidates`). The
`InvoiceReminder` row is written with the emails under a unique constraint: a job run
twice, or two workers at once, send nothing twice. A reminder whose day passed more than
`CATCH_UP_DAYS` ago is not sent any more (a job stopped for weeks, or the setting turned on
later, does not mail old debts).
"""

import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from levee.authorities.models import Authority
from levee.lib.templatetags.levee_format import euros
from levee.mailing.recipients import account_recipients
from levee.mailing.services import mail_enqueue
from levee.payments.selectors import Settlement, settlement_state

from .models import BillingSettings, Invoice, InvoiceReminder, InvoiceStatus, ReminderKind
from .selectors_dunning import invoices_reminder_candidates, invoices_still_due
from .services import invoices_url

CATCH_UP_DAYS = 7
DEFAULT_BEFORE = BillingSettings._meta.get_field("reminder_before_days").default
DEFAULT_AFTER = BillingSettings._meta.get_field("reminder_after_days").default


def reminder_days(authority: Authority) -> tuple[int, int]:
    """(days before the due date, days after it) of the authority's reminders; 0 = off."""
    try:
        row = authority.billing_settings
    except BillingSettings.DoesNotExist:
        return DEFAULT_BEFORE, DEFAULT_AFTER
    return row.reminder_before_days, row.reminder_after_days


def _windows(before: int, after: int, today: datetime.date) -> list[tuple[str, dict]]:
    """For each kind switched on, the due dates whose reminder is due `today`."""
    windows = []
    if before:
        # From `before` days ahead of the due date to the day before it.
        windows.append(
            (
                ReminderKind.BEFORE,
                {
                    "due_on__gt": today,
                    "due_on__lte": today + datetime.timedelta(days=before),
                },
            )
        )
    if after:
        day = today - datetime.timedelta(days=after)
        windows.append(
            (
                ReminderKind.AFTER,
                {
                    "due_on__lte": day,
                    "due_on__gte": day - datetime.timedelta(days=CATCH_UP_DAYS),
                },
            )
        )
    return windows


def _send(invoice: Invoice, kind: str, recipients: list[str], today: datetime.date) -> bool:
    authority = invoice.authority
    state = settlement_state(invoice, today=today, authority=authority)
    if state.state in (
        Settlement.DEBITED,
        Settlement.WAITING,
        Settlement.PAID,
        Settlement.CREDITED,
    ):
        return False
    context = {
        "before": kind == ReminderKind.BEFORE,
        "number": invoice.number,
        "issued_on": invoice.issued_on,
        "due_on": invoice.due_on,
        "amount": euros(state.left_cents if state.left_cents is not None else invoice.total_cents),
        # A part paid already (a cheque recorded): what came, the amount above is the rest.
        "paid": (
            euros(invoice.total_cents - state.credited_cents - state.left_cents)
            if state.partly_paid
            else ""
        ),
        "payable": state.state == Settlement.PAYABLE,
        "closes_on": state.closes_on,
        "title_pending": state.state == Settlement.TITLE_PENDING,
        "treasury_name": _treasury_name(authority),
        "invoices_url": invoices_url(authority),
    }
    try:
        with transaction.atomic():
            # Read again under its lock: paid or cancelled meanwhile, it is left alone.
            current = Invoice.objects.select_for_update().only("status").get(pk=invoice.pk)
            if current.status != InvoiceStatus.OPEN:
                return False
            InvoiceReminder.objects.create(
                authority_id=invoice.authority_id, invoice=invoice, kind=kind
            )
            for to in recipients:
                mail_enqueue(
                    to=to, template="invoice_reminder", context=context, authority=authority
                )
    except IntegrityError:
        return False  # reminded by another run meanwhile
    return True


def _treasury_name(authority: Authority) -> str:
    try:
        return authority.billing_settings.treasury_name
    except BillingSettings.DoesNotExist:
        return ""


def invoice_reminders_send(*, today: datetime.date | None = None) -> int:
    """The periodic job: sends each reminder due today, once. Returns how many invoices
    were reminded."""
    today = today or timezone.localdate()
    sent = 0
    authorities = Authority.objects.select_related("billing_settings").order_by("pk")
    for authority in authorities:
        before, after = reminder_days(authority)
        for kind, window in _windows(before, after, today):
            invoices = list(
                invoices_reminder_candidates(authority.pk)
                .filter(**window)
                .exclude(reminders__kind=kind)
                .order_by("due_on", "pk")
            )
            if not invoices:
                continue
            recipients = account_recipients(i.account_id for i in invoices)
            for invoice in invoices:
                invoice.authority = authority
                if recipients.get(invoice.account_id):
                    sent += _send(invoice, kind, recipients[invoice.account_id], today)
    return sent


@transaction.atomic
def invoice_reminders_record_past(*, today: datetime.date | None = None) -> int:
    """Records, without an email, both reminders of every invoice still due whose due date
    came before the portal watched it (the demo's years of history, loaded at once): the
    periodic job then reminds only the invoices falling due from then on. Returns how many
    were recorded."""
    today = today or timezone.localdate()
    rows = []
    for authority in Authority.objects.order_by("pk"):
        due = invoices_still_due(authority.pk).filter(due_on__lt=today)
        for kind in ReminderKind.values:
            rows += [
                InvoiceReminder(authority_id=authority.pk, invoice_id=pk, kind=kind, emailed=False)
                for pk in due.exclude(reminders__kind=kind).values_list("pk", flat=True)
            ]
    InvoiceReminder.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    return len(rows)
