"""« Restes à recouvrer » (/backoffice/facturation/restes-a-recouvrer/): the invoices still
due after their due date, by age band and amount, filtered, and their CSV. Read by the
« Facturation » and « Administrateur » roles only: it is the follow-up of the debts."""

from collections.abc import Iterator

from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone

from levee.agents import roles
from levee.backoffice.access import agent_required
from levee.lib.downloads import csv_response
from levee.treasury.selectors import authority_sends_titles

from .exports import CHUNK, amount, day, yes_no
from .forms_dunning import OutstandingFilterForm
from .selectors_dunning import (
    age_band_of,
    outstanding_communes,
    outstanding_invoices,
    outstanding_sums,
)

PER_PAGE = 50

OUTSTANDING_COLUMNS = [
    "Numéro",
    "Date facture",
    "Date d'échéance",
    "Jours de retard",
    "Ancienneté",
    "Code usager",
    "Payeur",
    "Commune",
    "Montant TTC",
    "Prélèvement en cours",
]


def _filtered(request):
    authority = request.agent.authority
    form = OutstandingFilterForm(request.GET or None, communes=outstanding_communes(authority))
    valid = form.is_valid() if form.is_bound else True
    today = timezone.localdate()
    invoices = outstanding_invoices(authority, today=today, filters=form.filters())
    return form, valid, invoices, today


def _page(request, form, invoices, today, *, status=200):
    page = Paginator(invoices, PER_PAGE).get_page(request.GET.get("page"))
    rows = [
        (invoice, (today - invoice.due_on).days, age_band_of((today - invoice.due_on).days))
        for invoice in page.object_list
    ]
    return render(
        request,
        "billing/backoffice/outstanding.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "sums": outstanding_sums(invoices, today=today),
            "today": today,
            "pes": authority_sends_titles(request.agent.authority),
        },
        status=status,
    )


@agent_required(roles.BILLING)
def outstanding(request):
    form, valid, invoices, today = _filtered(request)
    return _page(request, form, invoices, today, status=200 if valid else 400)


def _rows(invoices, today) -> Iterator[list]:
    for invoice in invoices.iterator(chunk_size=CHUNK):
        days = (today - invoice.due_on).days
        subscription = invoice.subscription
        yield [
            invoice.number,
            day(invoice.issued_on),
            day(invoice.due_on),
            days,
            age_band_of(days).label,
            invoice.account.code,
            invoice.payer_name,
            subscription.commune.name if subscription else "",
            amount(invoice.left_cents),
            yes_no(invoice.being_debited),
        ]


@agent_required(roles.BILLING)
def outstanding_csv(request):
    """The list as filtered, every row of it, streamed."""
    form, valid, invoices, today = _filtered(request)
    if not valid:
        return _page(request, form, invoices, today, status=400)
    return csv_response(
        _rows(invoices, today), f"restes-a-recouvrer-{today:%Y%m%d}.csv", OUTSTANDING_COLUMNS
    )
