"""Avoirs: « Émettre un avoir » from an invoice's back-office page (« Facturation » and
« Administrateur » only), the avoir's PDF for the agents and for the resident (« Mes
factures »), and « Marquer comme remboursé » in « Paiements à vérifier »."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from levee.agents import roles
from levee.authorities.selectors import authority_get_by_slug
from levee.backoffice.access import agent_required
from levee.lib.downloads import private_file_response
from levee.lib.templatetags.levee_format import euros
from levee.treasury.selectors import authority_sends_titles

from .access import get_credit_note_for_user
from .access_backoffice import get_credit_note_for_agent, get_invoice_for_agent
from .forms_credit_notes import CreditNoteForm
from .models import CreditNote, CreditNoteKind, InvoiceStatus
from .pdf_credit import credit_note_pdf_filename, credit_note_pdf_kept
from .selectors_credit_notes import invoice_credit_notes, invoice_net_cents
from .services_credit_notes import (
    CreditNoteRefused,
    credit_note_issue,
    credit_note_refund_review,
)


def _pdf(note: CreditNote):
    response = private_file_response(
        credit_note_pdf_kept(note=note), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'attachment; filename="{credit_note_pdf_filename(note)}"'
    return response


@agent_required(roles.BILLING)
def credit_note_create(request, pk):
    """« Émettre un avoir »: the form, then the avoir issued and the invoice's page again;
    a refusal is told next to its field, nothing issued."""
    invoice = get_invoice_for_agent(request, pk)
    if invoice.status == InvoiceStatus.SIMULATED or not invoice.number:
        raise Http404
    left = invoice_net_cents(invoice)
    form = CreditNoteForm(
        request.POST if request.method == "POST" else None,
        left_cents=left,
        pes=authority_sends_titles(invoice.authority),
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid() and left > 0:
            data = form.cleaned_data
            try:
                note = credit_note_issue(
                    invoice=invoice,
                    kind=data["kind"],
                    amount_cents=data["amount"]
                    if data["kind"] == CreditNoteKind.REDUCTION
                    else None,
                    reason=data["reason"],
                    text=data["text"],
                    by=request.user,
                )
            except CreditNoteRefused as refusal:
                form.add_error(refusal.field, refusal.message)
            else:
                said = (
                    f"Avoir n° {note.number} de {euros(note.total_cents)} émis sur la facture "
                    f"{invoice.number} : l'usager en est averti par email."
                )
                messages.success(request, said)
                if note.refund_cents:
                    messages.warning(
                        request,
                        f"À rembourser : {euros(note.refund_cents)}, déjà réglés au-delà de ce "
                        "que la facture représente désormais. L'avoir est listé dans « Paiements "
                        "à vérifier ».",
                    )
                return redirect("billing_bo:invoice_detail", invoice.pk)
    return render(
        request,
        "billing/backoffice/credit_note_form.html",
        {
            "invoice": invoice,
            "form": form,
            "left_cents": left,
            "credit_notes": invoice_credit_notes(invoice),
        },
        status=status,
    )


@agent_required
def credit_note_pdf_agent(request, pk):
    return _pdf(get_credit_note_for_agent(request, pk))


@agent_required(roles.BILLING)
@require_POST
def credit_note_refund_done(request, pk):
    """« Marquer comme remboursé »."""
    note = get_credit_note_for_agent(request, pk)
    if credit_note_refund_review(note=note, agent_user=request.user):
        messages.success(request, f"Le remboursement de l'avoir {note.number} est marqué vérifié.")
    else:
        messages.info(request, "Ce remboursement était déjà marqué vérifié.")
    return redirect("billing_bo:payments_to_check")


@login_required
def credit_note_pdf(request, slug, pk):
    """The avoir's PDF from « Mes factures »: reached through its invoice, as the duplicata."""
    authority = authority_get_by_slug(slug)
    return _pdf(get_credit_note_for_user(request, authority, pk))
