"""Reads of the SEPA mandates: an account's active mandate and its « échéancier »."""

import dataclasses

from django.db.models import OuterRef, Subquery

from levee.payments.models import DebitStatus, Mandate, MandateStatus, ScheduledDebit


def mandate_active_of(account) -> Mandate | None:
    return Mandate.objects.filter(
        authority_id=account.authority_id, account=account, status=MandateStatus.ACTIVE
    ).first()


@dataclasses.dataclass
class MandateSchedule:
    """« Mon échéancier de prélèvement »: the active mandate and its coming debits."""

    mandate: Mandate
    debits: list[ScheduledDebit]


def mandate_schedule_of(account) -> MandateSchedule | None:
    """The account's active mandate with its planned debits, soonest first; None without
    one."""
    mandate = mandate_active_of(account)
    if mandate is None:
        return None
    return mandate_schedule_with(mandate)


def mandate_schedule_with(mandate: Mandate) -> MandateSchedule:
    """An active mandate with its planned debits, soonest first."""
    debits = list(
        ScheduledDebit.objects.filter(
            authority_id=mandate.authority_id, mandate=mandate, status=DebitStatus.PLANNED
        )
        .select_related("invoice")
        .order_by("due_on", "invoice__number")
    )
    return MandateSchedule(mandate=mandate, debits=debits)


def next_debit_on():
    """For a queryset of invoices: `.annotate(next_debit_on=next_debit_on())`, the date of
    the invoice's next planned debit (None without one): « Prélèvement le … » of a monthly
    mandate is its next month's debit, not the due date."""
    return Subquery(
        ScheduledDebit.objects.filter(invoice=OuterRef("pk"), status=DebitStatus.PLANNED)
        .order_by("due_on")
        .values("due_on")[:1]
    )


def mandates_of_account(account) -> list[Mandate]:
    """All of an account's mandates, active or revoked, the latest signed first (its page of
    the back office)."""
    return list(
        Mandate.objects.filter(authority_id=account.authority_id, account=account).order_by(
            "-signed_on", "-pk"
        )
    )
