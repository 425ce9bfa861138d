"""« Mes factures » (flow 9): the account's invoices with their duplicata and their
settlement, the latest « facture à blanc », and the paperless choice."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render

from levee.authorities.selectors import authority_get_by_slug
from levee.lib.downloads import private_file_response
from levee.lib.forms import Form
from levee.payments.selectors import invoices_annotate_settlement
from levee.space.on_behalf import on_behalf_of
from levee.space.views import account_from_request, space_context

from .access import get_invoice_for_user
from .pdf import invoice_duplicata, invoice_pdf_filename
from .selectors_credit_notes import credit_notes_by_invoice
from .space import (
    account_paperless_update,
    invoices_for_account,
    simulation_for_account,
)

PER_PAGE = 12


class PaperlessForm(Form):
    paperless = forms.BooleanField(
        label="Recevoir mes factures uniquement par email (facture dématérialisée)",
        help_text="Vous ne recevez plus la facture papier : chaque facture reste disponible "
        "sur cette page.",
        required=False,
    )


@login_required
def invoices(request, slug):
    authority = authority_get_by_slug(slug)
    account = account_from_request(request, authority)
    form = PaperlessForm(
        request.POST if request.method == "POST" else None,
        initial={"paperless": account.paperless_invoices},
    )
    if request.method == "POST" and form.is_valid():
        # Not a login matter: an agent at the counter may record it, audited.
        acting = on_behalf_of(request)
        account_paperless_update(
            account=account,
            paperless=form.cleaned_data["paperless"],
            agent_user=acting.agent.user if acting is not None else None,
        )
        messages.success(request, "Votre choix est enregistré.")
        return redirect("billing:invoices", authority.slug)
    # Annotated for the « Règlement » cells, so they read no row each.
    paginator = Paginator(invoices_annotate_settlement(invoices_for_account(account)), PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    # Each invoice's avoirs, shown under it (one query for the page).
    notes = credit_notes_by_invoice(invoice.pk for invoice in page)
    for invoice in page:
        invoice.credit_notes_shown = notes.get(invoice.pk, [])
    return render(
        request,
        "billing/invoices.html",
        {
            **space_context(request, authority, account),
            "invoices_page": page,
            "simulation": simulation_for_account(account),
            "paperless_form": form,
        },
    )


@login_required
def duplicata(request, slug, pk):
    """« Duplicata » (invoice_duplicata)."""
    authority = authority_get_by_slug(slug)
    invoice = get_invoice_for_user(request, authority, pk)
    response = private_file_response(invoice_duplicata(invoice), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{invoice_pdf_filename(invoice)}"'
    return response
