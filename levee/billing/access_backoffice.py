"""Access helpers of the billing back office: an agent reaches only his authority's
tariffs, billing runs and invoices; anything else is a 404."""

from django.http import Http404

from .models import BillingRun, Invoice, Tariff


def get_tariff_for_agent(request, pk: int) -> Tariff:
    tariff = (
        Tariff.objects.filter(pk=pk, authority=request.agent.authority)
        .select_related("created_by")
        .first()
    )
    if tariff is None:
        raise Http404
    return tariff


def get_run_for_agent(request, pk: int) -> BillingRun:
    run = (
        BillingRun.objects.filter(pk=pk, authority=request.agent.authority)
        .select_related("tariff", "created_by")
        .first()
    )
    if run is None:
        raise Http404
    run.authority = request.agent.authority
    return run


def get_invoice_for_agent(request, pk: int) -> Invoice:
    invoice = (
        Invoice.objects.filter(pk=pk, authority=request.agent.authority)
        .select_related("account", "subscription", "run", "tariff")
        .first()
    )
    if invoice is None:
        raise Http404
    return invoice
