"""The back office of « Prélèvements » (/backoffice/prelevements/): a régie's SEPA debit
files (pain.008) and the bank's rejects (`levee/payments/DEBIT_FILES.md`). Every agent
reads the page; only `roles.BILLING` generates, downloads (the file holds the debtors'
bank accounts), marks transmitted or imports rejects, within the agent's authority."""

import calendar
import datetime

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from levee.agents import roles
from levee.backoffice.access import agent_required
from levee.lib.downloads import private_file_response
from levee.lib.templatetags.levee_format import euros
from levee.lib.text import plural_fr

from .access_backoffice import get_debit_file_for_agent
from .debit_files import (
    DebitFileError,
    debit_file_generate,
    debit_file_mark_transmitted,
    debit_rejects_import,
    regie_missing,
)
from .forms_backoffice import DebitFileGenerateForm, DebitRejectsForm
from .selectors_debit_files import debit_files_of, debits_due_summary, reject_imports_of


def end_of_next_month(today: datetime.date) -> datetime.date:
    year, month = (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)
    return datetime.date(year, month, calendar.monthrange(year, month)[1])


def _page(request, *, generate_form=None, rejects_form=None, status=200):
    authority = request.agent.authority
    up_to = end_of_next_month(timezone.localdate())
    if generate_form is not None and generate_form.is_bound and generate_form.is_valid():
        up_to = generate_form.cleaned_data["up_to"]
    files = debit_files_of(authority)
    return render(
        request,
        "payments/backoffice/debit_files.html",
        {
            "missing": regie_missing(authority),
            "files": files,
            "transmitted_any": any(f.status == "transmis" for f in files),
            "imports": reject_imports_of(authority),
            "up_to": up_to,
            "due": debits_due_summary(authority, up_to=up_to),
            "generate_form": generate_form or DebitFileGenerateForm(initial={"up_to": up_to}),
            "rejects_form": rejects_form or DebitRejectsForm(),
        },
        status=status,
    )


@agent_required
def debit_files(request):
    return _page(request)


@agent_required(roles.BILLING)
@require_POST
def generate(request):
    form = DebitFileGenerateForm(request.POST)
    if not form.is_valid():
        return _page(request, generate_form=form, status=400)
    try:
        made = debit_file_generate(
            authority=request.agent.authority, up_to=form.cleaned_data["up_to"], by=request.user
        )
    except DebitFileError as refusal:
        form.add_error("up_to", refusal.message)
        return _page(request, generate_form=form, status=400)
    messages.success(
        request,
        f"Fichier de prélèvements généré et contrôlé (schéma pain.008.001.02) : "
        f"{plural_fr(made.count, 'prélèvement')}, {euros(made.total_cents)}.",
    )
    return redirect("payments_bo:debit_files")


@agent_required(roles.BILLING)
def download(request, pk):
    debit_file = get_debit_file_for_agent(request, pk)
    response = private_file_response(debit_file.file, content_type="application/xml")
    response["Content-Disposition"] = f'attachment; filename="{debit_file.name}.xml"'
    return response


@agent_required(roles.BILLING)
@require_POST
def transmit(request, pk):
    debit_file = get_debit_file_for_agent(request, pk)
    try:
        debit_file_mark_transmitted(debit_file=debit_file, by=request.user)
    except DebitFileError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(
            request,
            f"Fichier {debit_file.name} marqué transmis à la banque : ses "
            f"{plural_fr(debit_file.count, 'prélèvement')} sont transmis.",
        )
    return redirect("payments_bo:debit_files")


@agent_required(roles.BILLING)
@require_POST
def rejects(request):
    form = DebitRejectsForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            imported = debit_rejects_import(
                authority=request.agent.authority,
                content=upload.read(),
                filename=upload.name,
                by=request.user,
            )
        except DebitFileError as refusal:
            form.add_error("file", refusal.message)
        else:
            ignored = imported.lines - imported.applied
            messages.success(
                request,
                f"Rejets importés : {plural_fr(imported.applied, 'rejet appliqué')}"
                + (
                    f", {plural_fr(ignored, 'ligne ignorée')} (motifs ci-dessous)"
                    if ignored
                    else ""
                )
                + ".",
            )
            return redirect("payments_bo:debit_files")
    return _page(request, rejects_form=form, status=400)
