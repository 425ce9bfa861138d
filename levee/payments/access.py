"""Access helpers of the payment pages: an invoice or a payment is reached only through
the accounts the logged-in person reaches in that authority (the space's helpers); anything
else is a 404."""

from django.http import Http404
from django.shortcuts import get_object_or_404

from levee.billing.models import Invoice, InvoiceStatus
from levee.payments.gateways.sandbox import sandbox_transaction_find
from levee.payments.models import Payment, SandboxTransaction
from levee.space.access import accesses_of, get_account_for_user


def _account_ids(request, authority) -> list[int]:
    return [a.account_id for a in accesses_of(request) if a.authority_id == authority.pk]


def get_invoice_for_user(request, authority, invoice_pk: int):
    """A published invoice of one of the person's accounts in `authority`, and that
    account (selected in his space from now on)."""
    invoice = get_object_or_404(
        Invoice.objects.filter(
            authority=authority,
            account_id__in=_account_ids(request, authority),
            published_at__isnull=False,
        )
        .exclude(status__in=[InvoiceStatus.SIMULATED, InvoiceStatus.CANCELLED])
        .select_related("authority"),
        pk=invoice_pk,
    )
    return invoice, get_account_for_user(request, authority, invoice.account_id)


def get_payment_for_user(request, authority, payment_pk: int):
    payment = get_object_or_404(
        Payment.objects.filter(
            authority=authority, account_id__in=_account_ids(request, authority)
        ).select_related("invoice", "authority"),
        pk=payment_pk,
    )
    return payment, get_account_for_user(request, authority, payment.account_id)


def get_payment_for_agent(request, pk: int) -> Payment:
    """A payment of the agent's authority, or 404."""
    payment = get_object_or_404(
        Payment.objects.filter(authority=request.agent.authority).select_related(
            "invoice", "account"
        ),
        pk=pk,
    )
    payment.authority = request.agent.authority
    return payment


def get_sandbox_transaction(idop: str) -> SandboxTransaction:
    """The sandbox's operation its screens show (its random idop is the access), else 404."""
    sandbox = sandbox_transaction_find(idop)
    if sandbox is None:
        raise Http404
    return sandbox
