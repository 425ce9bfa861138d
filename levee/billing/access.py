"""Access helper of the resident's invoices: an invoice is reached only through the
accounts the person reaches (`levee.space.access`) in that authority; anything else is a 404.
"""

from django.http import Http404
from django.shortcuts import get_object_or_404

from levee.space.access import accesses_of

from .models import CreditNote, Invoice, InvoiceStatus, RunStatus


def get_invoice_for_user(request, authority, pk: int) -> Invoice:
    """An invoice of one of the accounts the person reaches in `authority` (any of them, not
    only the selected one: a duplicata link keeps working after switching account); a
    published numbered invoice, or one of a finished simulation. Else 404.

    An agent acting on behalf reaches the invoices of that account only."""
    account_ids = [a.account_id for a in accesses_of(request) if a.authority_id == authority.pk]
    if not account_ids:
        raise Http404
    invoice = get_object_or_404(
        Invoice.objects.filter(authority_id=authority.pk, account_id__in=account_ids)
        .exclude(status=InvoiceStatus.CANCELLED)
        .select_related("account", "subscription", "run", "authority"),
        pk=pk,
    )
    if invoice.status == InvoiceStatus.SIMULATED:
        if invoice.run is None or invoice.run.status != RunStatus.DONE:
            raise Http404
    elif not invoice.number or invoice.published_at is None:
        raise Http404
    return invoice


def get_credit_note_for_user(request, authority, pk: int) -> CreditNote:
    """An avoir of an invoice the person reaches (`get_invoice_for_user`), else 404."""
    note = get_object_or_404(CreditNote.objects.filter(authority_id=authority.pk), pk=pk)
    note.invoice = get_invoice_for_user(request, authority, note.invoice_id)
    return note
