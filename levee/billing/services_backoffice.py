"""An agent's billing actions, each audited: the billing settings, the numbering's first
value of a year, launching a billing run and resuming a failed one. The billing itself is
`services.py`'s; these add who did it."""

import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from levee.accounts.models import User
from levee.audit.services import audit_write
from levee.authorities.models import Authority

from . import services
from .models import (
    STALLED_AFTER,
    BillingRun,
    BillingSettings,
    InvoiceSequence,
    RunKind,
    RunStatus,
)

SETTINGS_FIELDS = (
    "due_days",
    "online_payment_grace_days",
    "treasury_name",
    "appeal_text",
    "reminder_before_days",
    "reminder_after_days",
)


@transaction.atomic
def billing_settings_update(*, authority: Authority, values: dict, agent_user: User) -> None:
    services.billing_settings_for(authority=authority)
    current = BillingSettings.objects.select_for_update().get(authority=authority)
    before = {name: getattr(current, name) for name in SETTINGS_FIELDS}
    after = {name: values[name] for name in SETTINGS_FIELDS}
    if before == after:
        return
    for name, value in after.items():
        setattr(current, name, value)
    current.save(update_fields=list(SETTINGS_FIELDS))
    changed = [name for name in SETTINGS_FIELDS if before[name] != after[name]]
    audit_write(
        authority=authority,
        actor=agent_user,
        action="billing_settings.update",
        obj=current,
        before={name: before[name] for name in changed},
        after={name: after[name] for name in changed},
    )


@transaction.atomic
def invoice_sequence_start(
    *, authority: Authority, year: int, first_value: int, agent_user: User
) -> InvoiceSequence:
    """Sets the first invoice number of `year`; BillingError once one is numbered."""
    before = InvoiceSequence.objects.filter(authority=authority, year=year).first()
    sequence = services.invoice_sequence_first_value_set(
        authority=authority, year=year, first_value=first_value
    )
    audit_write(
        authority=authority,
        actor=agent_user,
        action="invoice_sequence.first_value_set",
        obj=sequence,
        before={"year": year, "first_value": before.first_value} if before else {},
        after={"year": year, "first_value": first_value},
    )
    return sequence


@transaction.atomic
def billing_run_launch(
    *,
    authority: Authority,
    kind: str,
    year: int,
    half: int | None,
    issued_on: datetime.date,
    due_on: datetime.date | None,
    agent_user: User,
) -> BillingRun:
    """Creates the run (BillingError when it cannot be) and enqueues it once committed."""
    run = services.billing_run_create(
        authority=authority,
        kind=RunKind(kind),
        year=year,
        half=half,
        issued_on=issued_on,
        due_on=due_on,
        created_by=agent_user,
    )
    audit_write(
        authority=authority,
        actor=agent_user,
        action="billing_run.create",
        obj=run,
        after={
            "kind": run.kind,
            "period": run.label,
            "tariff_version": run.tariff.version,
            "issued_on": run.issued_on.isoformat(),
            "due_on": run.due_on.isoformat(),
        },
    )
    return run


@transaction.atomic
def billing_run_resume(*, run: BillingRun, agent_user: User) -> bool:
    """Puts a failed or stalled run back in the queue: it resumes after its last committed
    chunk (a worker still alive would only take turns with the new one). False when it is
    neither (done, going on, or already resumed by a colleague's click)."""
    now = timezone.now()
    resumed = (
        BillingRun.objects.filter(pk=run.pk, authority_id=run.authority_id)
        .filter(
            Q(status=RunStatus.FAILED)
            | Q(
                status__in=[RunStatus.PENDING, RunStatus.RUNNING],
                updated_at__lt=now - STALLED_AFTER,
            )
        )
        .update(status=RunStatus.PENDING, finished_at=None, updated_at=now)
    )
    if not resumed:
        return False
    audit_write(
        authority=run.authority,
        actor=agent_user,
        action="billing_run.resume",
        obj=run,
        before={"status": run.status, "message": run.message},
        after={"status": RunStatus.PENDING},
    )
    transaction.on_commit(lambda: services.billing_run_enqueue(run=run), robust=True)
    return True
