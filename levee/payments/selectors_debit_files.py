"""Reads of « Prélèvements »: a régie's debit files, its imports of rejects, and what the
next file would carry."""

import datetime

from django.db.models import Count, Sum

from .debit_files import debits_due
from .models import DebitFile, DebitRejectImport, DebitStatus, Mandate, MandateStatus
from .selectors_mandates import MandateSchedule, mandate_schedule_with


def debit_files_of(authority, limit: int = 50) -> list[DebitFile]:
    return list(
        DebitFile.objects.filter(authority_id=authority.pk)
        .select_related("generated_by", "transmitted_by")
        .order_by("-generated_at", "-pk")[:limit]
    )


def reject_imports_of(authority, limit: int = 10) -> list[DebitRejectImport]:
    return list(
        DebitRejectImport.objects.filter(authority_id=authority.pk)
        .select_related("imported_by")
        .order_by("-created_at", "-pk")[:limit]
    )


def debits_due_summary(authority, *, up_to: datetime.date) -> dict:
    """How many debits, for how much, a file up to that date would carry."""
    totals = (
        debits_due(authority, up_to=up_to)
        .order_by()
        .aggregate(count=Count("pk"), total=Sum("amount_cents"))
    )
    return {"count": totals["count"] or 0, "total_cents": totals["total"] or 0}


def mandate_space_of(account) -> tuple[MandateSchedule | None, Mandate | None]:
    """What « Mes informations » shows of the account's mandate, in one query of mandates:
    its active mandate with its échéancier, or else its latest mandate when it is suspended
    (two rejects in a row), with the debits rejected."""
    mandates = list(
        Mandate.objects.filter(
            authority_id=account.authority_id,
            account=account,
            status__in=[MandateStatus.ACTIVE, MandateStatus.SUSPENDED],
        ).order_by("-created_at", "-pk")[:2]
    )
    active = next((m for m in mandates if m.status == MandateStatus.ACTIVE), None)
    if active is not None:
        return mandate_schedule_with(active), None
    if not mandates:
        return None, None
    suspended = mandates[0]
    suspended.rejected = list(
        suspended.debits.filter(status=DebitStatus.REJECTED).order_by("-rejected_on", "-pk")[:2]
    )
    return None, suspended
