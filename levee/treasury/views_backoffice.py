"""The back office of « Comptabilité publique » (/backoffice/comptabilite-publique/): its
settings, and « Titres et rôles », the PES files of the published real runs and their life
(généré → transmis → accepté / rejeté). Every agent reads the pages; only `roles.BILLING`
changes anything or downloads a file (it holds the debtors' bank accounts), and only
within the agent's authority (`levee/billing/PES.md`)."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from levee.agents import roles
from levee.backoffice.access import agent_required
from levee.billing.access_backoffice import get_run_for_agent
from levee.lib.downloads import private_file_response
from levee.lib.text import plural_fr
from levee.payments.mandates import creditor_identifier_of

from . import services
from .access_backoffice import get_pes_file_for_agent
from .forms import PesAcknowledgementForm, PesRejectForm, PublicAccountingSettingsForm
from .models import PesFileKind, PesFileStatus
from .pes import titled_invoices
from .selectors import (
    credit_files_of_authority,
    credit_notes_pending,
    pes_files_of_run,
    pes_generations_of_runs,
    public_accounting_settings_of,
    role_runs_of,
)
from .services import TreasuryError, pes_generation_request, run_refusal, settings_missing

# Comptabilité publique (settings)


def _settings_page(request, *, form=None, status=200):
    authority = request.agent.authority
    current = services.public_accounting_settings_for(authority=authority)
    return render(
        request,
        "treasury/backoffice/settings.html",
        {
            "form": form or PublicAccountingSettingsForm(instance=current),
            "current": current,
            "missing": settings_missing(current),
            "creditor_identifier": creditor_identifier_of(authority),
        },
        status=status,
    )


@agent_required(writes=roles.BILLING)
def accounting_settings(request):
    if request.method != "POST":
        return _settings_page(request)
    authority = request.agent.authority
    current = services.public_accounting_settings_for(authority=authority)
    form = PublicAccountingSettingsForm(request.POST, instance=current)
    if not form.is_valid():
        return _settings_page(request, form=form, status=400)
    services.public_accounting_settings_update(
        authority=authority, values=form.values(), by=request.user
    )
    messages.success(request, "Réglages de comptabilité publique enregistrés.")
    return redirect("treasury_bo:accounting_settings")


# Titres et rôles

# The avoirs that cannot go out yet, listed on « Titres et rôles » (the rest counted).
WAITING_SHOWN = 50


def _run_entry(run, generation) -> dict:
    """What « Titres et rôles » shows of a run: its files, why it cannot make a rôle, and
    the state of its rôle's generation (polled alone while it goes on)."""
    files = list(pes_files_of_run(run))
    current = [f for f in files if f.status != PesFileStatus.REJECTED]
    going_on = generation is not None and generation.is_going_on
    return {
        "run": run,
        "files": files,
        "refusal": run_refusal(run),
        "sent": any(f.status in (PesFileStatus.TRANSMITTED, PesFileStatus.ACCEPTED) for f in files),
        "titled": sum(f.pieces for f in current),
        "total": titled_invoices(run).count(),
        "generation": generation,
        "going_on": going_on,
        # A generation that stalled (its worker died) may be asked again.
        "can_generate": not going_on or generation.is_stalled,
    }


def _files_page(request, *, reject_form=None, reject_file=None, ack_form=None, status=200):
    authority = request.agent.authority
    settings = public_accounting_settings_of(authority)
    missing = settings_missing(settings) if settings else ["les réglages de comptabilité publique"]
    role_runs = role_runs_of(authority)
    generations = pes_generations_of_runs(role_runs)
    runs = []
    for run in role_runs:
        entry = _run_entry(run, generations.get(run.pk))
        for f in entry["files"]:
            if f.status == PesFileStatus.TRANSMITTED:
                same = reject_file is not None and reject_file.pk == f.pk
                f.reject_form = reject_form if same else PesRejectForm(prefix=f"rejet-{f.pk}")
        runs.append(entry)
    credit_ready, credit_waiting = (
        credit_notes_pending(authority) if settings and settings.is_pes else ([], [])
    )
    credit_files = list(credit_files_of_authority(authority)[:20])
    for f in credit_files:
        if f.status == PesFileStatus.TRANSMITTED:
            same = reject_file is not None and reject_file.pk == f.pk
            f.reject_form = reject_form if same else PesRejectForm(prefix=f"rejet-{f.pk}")
    return render(
        request,
        "treasury/backoffice/files.html",
        {
            "settings": settings,
            "missing": missing,
            "runs": runs,
            "credit_ready": credit_ready,
            "credit_waiting": credit_waiting[:WAITING_SHOWN],
            "credit_waiting_more": max(len(credit_waiting) - WAITING_SHOWN, 0),
            "credit_files": credit_files,
            "credit_replaces": any(f.status == PesFileStatus.GENERATED for f in credit_files),
            "ack_form": ack_form or PesAcknowledgementForm(),
        },
        status=status,
    )


@agent_required
def files(request):
    return _files_page(request)


@agent_required
def generation_progress(request, run_pk):
    """The state of a run's rôle generation alone, polled by static/js/progress.js."""
    run = get_run_for_agent(request, run_pk)
    generation = pes_generations_of_runs([run]).get(run.pk)
    response = render(
        request,
        "treasury/backoffice/_generation_status.html",
        {"entry": _run_entry(run, generation)},
    )
    response["Cache-Control"] = "no-store"
    return response


@agent_required(roles.BILLING)
@require_POST
def generate(request, run_pk):
    """« Générer le fichier PES »: the rôle is generated by a task; the page follows it."""
    run = get_run_for_agent(request, run_pk)
    try:
        pes_generation_request(run=run, by=request.user)
    except TreasuryError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, f"Génération du rôle de « {run.label} » lancée.")
    return redirect(reverse("treasury_bo:roles") + f"#run-{run.pk}-title")


@agent_required(roles.BILLING)
@require_POST
def generate_credit(request):
    """« Générer le fichier d'annulation-réduction »: the avoirs of titles already taken in
    charge, in one bordereau written and checked at once (a few avoirs: no task)."""
    try:
        pes_file = services.pes_credit_file_generate(
            authority=request.agent.authority, by=request.user
        )
    except TreasuryError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(
            request,
            f"Fichier d'annulation-réduction généré et contrôlé : bordereau {pes_file.bordereau} "
            f"({pes_file.year}), {plural_fr(pes_file.pieces, 'avoir')}.",
        )
    return redirect(reverse("treasury_bo:roles") + "#credit-title")


@agent_required(roles.BILLING)
def download(request, pk):
    pes_file = get_pes_file_for_agent(request, pk)
    response = private_file_response(pes_file.file, content_type="application/xml")
    response["Content-Disposition"] = f'attachment; filename="{pes_file.name}.xml"'
    return response


@agent_required(roles.BILLING)
@require_POST
def transmit(request, pk):
    pes_file = get_pes_file_for_agent(request, pk)
    try:
        services.pes_file_mark_transmitted(pes_file=pes_file, by=request.user)
    except TreasuryError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(
            request, f"Bordereau {pes_file.bordereau} marqué transmis au comptable public."
        )
    return redirect("treasury_bo:roles")


@agent_required(roles.BILLING)
@require_POST
def accept(request, pk):
    pes_file = get_pes_file_for_agent(request, pk)
    try:
        services.pes_file_mark_accepted(pes_file=pes_file, by=request.user)
    except TreasuryError as refusal:
        messages.error(request, refusal.message)
    else:
        then = (
            "ses réductions sont prises en charge"
            if pes_file.kind == PesFileKind.CREDIT
            else "ses factures peuvent être réglées en ligne"
        )
        messages.success(request, f"Bordereau {pes_file.bordereau} accepté : {then}.")
    return redirect("treasury_bo:roles")


@agent_required(roles.BILLING)
@require_POST
def reject(request, pk):
    pes_file = get_pes_file_for_agent(request, pk)
    form = PesRejectForm(request.POST, prefix=f"rejet-{pes_file.pk}")
    if not form.is_valid():
        return _files_page(request, reject_form=form, reject_file=pes_file, status=400)
    try:
        services.pes_file_mark_rejected(
            pes_file=pes_file, by=request.user, reason=form.cleaned_data["reason"]
        )
    except TreasuryError as refusal:
        messages.error(request, refusal.message)
    else:
        then = (
            "ses avoirs partiront dans le prochain fichier d'annulation-réduction"
            if pes_file.kind == PesFileKind.CREDIT
            else "le rôle peut être généré à nouveau"
        )
        messages.success(request, f"Bordereau {pes_file.bordereau} marqué rejeté : {then}.")
    return redirect("treasury_bo:roles")


@agent_required(roles.BILLING)
@require_POST
def acknowledgement(request):
    form = PesAcknowledgementForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            answered = services.pes_acknowledgement_import(
                authority=request.agent.authority,
                content=form.cleaned_data["file"].read(),
                by=request.user,
            )
        except TreasuryError as refusal:
            form.add_error("file", refusal.message)
        else:
            messages.success(
                request,
                "Accusé de réception importé : "
                + ", ".join(
                    f"bordereau {f.bordereau} {f.get_status_display().lower()}" for f in answered
                )
                + ".",
            )
            return redirect("treasury_bo:roles")
    return _files_page(request, ack_form=form, status=400)
