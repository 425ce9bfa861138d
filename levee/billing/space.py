"""The resident's side of billing: « Mes factures », its duplicatas and the paperless choice.

Every read filters on the account's authority (tenant guard); the access helper of the
duplicatas (billing/access.py) adds the accounts the person reaches: an invoice of anybody
else is a 404.
"""

from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from levee.audit.services import audit_write
from levee.subscribers.models import Account

from .models import BillingRun, Invoice, InvoiceStatus, RunKind, RunStatus


def invoices_for_account(account: Account) -> QuerySet[Invoice]:
    """The account's published invoices, newest first: what « Mes factures » lists.

    Simulations (no number) and cancelled invoices are not listed."""
    return (
        Invoice.objects.filter(
            authority_id=account.authority_id,
            account=account,
            published_at__isnull=False,
        )
        .exclude(number="")
        .exclude(status__in=[InvoiceStatus.SIMULATED, InvoiceStatus.CANCELLED])
        .order_by("-issued_on", "-number", "-pk")
    )


def simulation_for_account(account: Account) -> Invoice | None:
    """The account's invoice in the latest finished simulation (« facture à blanc ») of its
    authority, with its lines; None when that run has no invoice for the account, or when a
    real run has finished since (the real invoices then say what is owed). Two queries."""
    runs = list(
        BillingRun.objects.filter(authority_id=account.authority_id, status=RunStatus.DONE)
        .order_by(F("finished_at").desc(nulls_last=True), "-pk")
        .values_list("pk", "kind")[:1]
    )
    if not runs or runs[0][1] != RunKind.SIMULATION:
        return None
    return (
        Invoice.objects.filter(
            authority_id=account.authority_id,
            account=account,
            run_id=runs[0][0],
            status=InvoiceStatus.SIMULATED,
        )
        .select_related("run")
        .prefetch_related("lines")
        .first()
    )


@transaction.atomic
def account_paperless_update(*, account: Account, paperless: bool, agent_user=None) -> bool:
    """« Recevoir mes factures uniquement par email »: the choice and its date. Returns
    whether it changed. An agent at the counter (`agent_user`) leaves an audit row."""
    before = account.paperless_invoices
    if before == paperless:
        return False
    account.paperless_invoices = paperless
    account.paperless_updated_at = timezone.now()
    account.save(update_fields=["paperless_invoices", "paperless_updated_at", "updated_at"])
    if agent_user is not None:
        audit_write(
            authority=account.authority,
            actor=agent_user,
            action="account.paperless_update",
            obj=account,
            before={"paperless_invoices": before},
            after={"paperless_invoices": paperless},
        )
    return True
