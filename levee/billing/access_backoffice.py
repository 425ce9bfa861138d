"""Access helpers of the billing back office: an agent reaches only his authority's
tariffs, billing runs and invoices; anything else is a 404."""

from django.shortcuts import get_object_or_404

from .models import BillingRun, CreditNote, Invoice, Tariff


def get_tariff_for_agent(request, pk: int) -> Tariff:
    return get_object_or_404(
        Tariff.objects.filter(authority=request.agent.authority).select_related("created_by"),
        pk=pk,
    )


def get_run_for_agent(request, pk: int) -> BillingRun:
    run = get_object_or_404(
        BillingRun.objects.filter(authority=request.agent.authority).select_related(
            "tariff", "created_by"
        ),
        pk=pk,
    )
    run.authority = request.agent.authority
    return run


def get_invoice_for_agent(request, pk: int) -> Invoice:
    return get_object_or_404(
        Invoice.objects.filter(authority=request.agent.authority).select_related(
            "account", "subscription", "run", "tariff"
        ),
        pk=pk,
    )


def get_credit_note_for_agent(request, pk: int) -> CreditNote:
    return get_object_or_404(
        CreditNote.objects.filter(authority=request.agent.authority).select_related(
            "invoice", "invoice__account", "invoice__subscription", "invoice__authority"
        ),
        pk=pk,
    )
