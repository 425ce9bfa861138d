"""The billing back office (/backoffice/facturation/): tariff grids and their history, the
billing settings and numbering, billing runs (simulations and real ones) with their invoices,
and the treasury's CSV exports. Every agent reads every page; only `roles.BILLING` changes
anything, and only within the agent's authority."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from levee.agents import roles
from levee.backoffice.access import agent_required
from levee.lib.downloads import csv_response
from levee.lib.templatetags.levee_format import euros
from levee.payments.access import get_payment_for_agent
from levee.payments.forms_backoffice import PaymentRecordForm
from levee.payments.recorded import PaymentRefused
from levee.payments.recorded import payment_record as payment_record_service
from levee.payments.selectors import invoice_left_cents, invoice_paid_cents
from levee.payments.selectors import payments_to_check as payments_to_check_of
from levee.payments.services_backoffice import payment_review as payment_review_service

from . import exports, services_backoffice
from .access_backoffice import get_invoice_for_agent, get_run_for_agent, get_tariff_for_agent
from .forms import (
    BillingSettingsForm,
    PaymentsExportForm,
    PlanFormSet,
    RunForm,
    SequenceForm,
    TariffForm,
    TariffPlanForm,
)
from .models import InvoiceStatus, RunKind, RunStatus
from .pricing import percent_text
from .selectors import ANOMALIES_SHOWN, subscriptions_without_plan
from .selectors_backoffice import (
    invoice_lines,
    invoice_payments,
    invoice_sequences,
    run_invoices,
    run_sums,
    runs_for_backoffice,
    tariff_is_used,
    tariff_latest,
    tariff_plans,
    tariff_years,
)
from .selectors_credit_notes import (
    credit_notes_to_refund,
    invoice_credit_notes,
    invoice_net_cents,
)
from .services import BillingError, billing_period_unfinished, billing_settings_for
from .tariffs import TariffConflict, tariff_version_create

RUNS_PER_PAGE = 25
INVOICES_PER_PAGE = 50
PAYMENTS_PER_PAGE = 50


# Tariffs


@agent_required
def tariffs(request):
    return render(
        request, "billing/backoffice/tariffs.html", {"years": tariff_years(request.agent.authority)}
    )


@agent_required
def tariff_detail(request, pk):
    tariff = get_tariff_for_agent(request, pk)
    latest = tariff_latest(authority=request.agent.authority, year=tariff.year)
    return render(
        request,
        "billing/backoffice/tariff_detail.html",
        {
            "tariff": tariff,
            "plans": tariff_plans(tariff),
            "is_latest": latest.pk == tariff.pk,
            "latest": latest,
            "used": tariff_is_used(tariff),
        },
    )


def _tariff_form_page(request, form, formset, *, tariff=None, status=200):
    return render(
        request,
        "billing/backoffice/tariff_form.html",
        {"form": form, "formset": formset, "tariff": tariff},
        status=status,
    )


def _tariff_save(request, form, formset, *, year: int, based_on: int | None):
    try:
        return tariff_version_create(
            authority=request.agent.authority,
            year=year,
            vat_rate_bp=form.cleaned_data["vat_rate_bp"],
            plans=formset.plans(),
            note=form.cleaned_data["note"].strip(),
            agent_user=request.user,
            based_on=based_on,
        )
    except TariffConflict as refusal:
        form.add_error(None, str(refusal))
        return None


@agent_required(roles.BILLING)
def tariff_create(request):
    """A year's grid, version 1; the form starts from the latest grid's plans."""
    authority = request.agent.authority
    if request.method == "POST":
        form = TariffForm(request.POST, editing=False)
        formset = PlanFormSet(request.POST, prefix="plans")
        if form.is_valid() and formset.is_valid():
            tariff = _tariff_save(
                request, form, formset, year=form.cleaned_data["year"], based_on=None
            )
            if tariff is not None:
                messages.success(request, f"Grille tarifaire {tariff.year} créée.")
                return redirect("billing_bo:tariff_detail", tariff.pk)
        return _tariff_form_page(request, form, formset, status=400)
    years = tariff_years(authority)
    source = years[0] if years else None
    year = source.year + 1 if source else timezone.localdate().year
    form = TariffForm(
        editing=False,
        initial={
            "year": year,
            "vat_rate_bp": percent_text(source.in_force.vat_rate_bp) if source else "0",
        },
    )
    plans = [TariffPlanForm.initial_from(p) for p in source.plans] if source else []
    return _tariff_form_page(request, form, PlanFormSet(prefix="plans", initial=plans))


@agent_required(roles.BILLING)
def tariff_edit(request, pk):
    """Writes the next version of the grid of the year; the one in force is copied in."""
    tariff = get_tariff_for_agent(request, pk)
    latest = tariff_latest(authority=request.agent.authority, year=tariff.year)
    if request.method == "POST":
        form = TariffForm(request.POST, editing=True)
        formset = PlanFormSet(request.POST, prefix="plans")
        if form.is_valid() and formset.is_valid():
            saved = _tariff_save(
                request,
                form,
                formset,
                year=tariff.year,
                based_on=form.cleaned_data["based_on"] or tariff.version,
            )
            if saved is not None:
                messages.success(
                    request,
                    f"Grille tarifaire {saved.year} enregistrée : version {saved.version}, "
                    "en vigueur pour les prochaines facturations.",
                )
                return redirect("billing_bo:tariff_detail", saved.pk)
        return _tariff_form_page(request, form, formset, tariff=latest, status=400)
    if latest.pk != tariff.pk:
        return redirect("billing_bo:tariff_edit", latest.pk)
    form = TariffForm(
        editing=True,
        initial={"vat_rate_bp": percent_text(tariff.vat_rate_bp), "based_on": tariff.version},
    )
    formset = PlanFormSet(
        prefix="plans", initial=[TariffPlanForm.initial_from(p) for p in tariff_plans(tariff)]
    )
    return _tariff_form_page(request, form, formset, tariff=tariff)


# Settings and numbering


def _settings_page(request, *, form=None, sequence_form=None, status=200):
    authority = request.agent.authority
    current = billing_settings_for(authority=authority)
    return render(
        request,
        "billing/backoffice/settings.html",
        {
            "form": form or BillingSettingsForm(instance=current),
            "sequence_form": sequence_form
            or SequenceForm(initial={"year": timezone.localdate().year}),
            "sequences": invoice_sequences(authority),
            "current": current,
            "authority_code": authority.code,
        },
        status=status,
    )


@agent_required(writes=roles.BILLING)
def billing_settings(request):
    if request.method != "POST":
        return _settings_page(request)
    form = BillingSettingsForm(request.POST)
    if not form.is_valid():
        return _settings_page(request, form=form, status=400)
    services_backoffice.billing_settings_update(
        authority=request.agent.authority, values=form.cleaned_data, agent_user=request.user
    )
    messages.success(request, "Réglages de facturation enregistrés.")
    return redirect("billing_bo:settings")


@agent_required(roles.BILLING)
@require_POST
def sequence_start(request):
    form = SequenceForm(request.POST)
    if form.is_valid():
        try:
            sequence = services_backoffice.invoice_sequence_start(
                authority=request.agent.authority,
                agent_user=request.user,
                **form.cleaned_data,
            )
        except BillingError as refusal:
            form.add_error("first_value", refusal.message)
        else:
            messages.success(
                request,
                f"Numérotation {sequence.year} : la première facture portera le numéro "
                f"…{sequence.first_value:06d}.",
            )
            return redirect("billing_bo:settings")
    return _settings_page(request, sequence_form=form, status=400)


# Billing runs


@agent_required
def runs(request):
    page = Paginator(runs_for_backoffice(request.agent.authority), RUNS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "billing/backoffice/runs.html", {"page": page})


def _run_anomalies(request, form) -> dict:
    """« Abonnements sans forfait » of the year the form names (or this year): listed before
    a run, each with a link to its account's page, where an agent sets the plan."""
    year = form.data.get("year", "") if form.is_bound else ""
    year = int(year) if year.isdigit() and 2000 <= int(year) <= 2100 else timezone.localdate().year
    unplanned = subscriptions_without_plan(authority=request.agent.authority, year=year)
    if unplanned is None:
        return {"anomalies_year": year, "unplanned": None}
    return {
        "anomalies_year": year,
        "unplanned": list(unplanned[:ANOMALIES_SHOWN]),
        "unplanned_count": unplanned.count(),
    }


@agent_required(roles.BILLING)
def run_create(request):
    form = RunForm(
        request.POST or None,
        initial={"year": timezone.localdate().year, "issued_on": timezone.localdate()},
    )
    unfinished = ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if data["kind"] == RunKind.REAL and data["unfinished_confirmed"] != form.period_end():
            unfinished = billing_period_unfinished(
                period_end=form.period_end(), today=timezone.localdate()
            )
    if request.method == "POST" and form.is_valid() and not unfinished:
        data = form.cleaned_data
        try:
            run = services_backoffice.billing_run_launch(
                authority=request.agent.authority,
                kind=data["kind"],
                year=data["year"],
                half=form.half(),
                issued_on=data["issued_on"],
                due_on=data["due_on"],
                agent_user=request.user,
            )
        except BillingError as refusal:
            form.add_error(None, refusal.message)
        else:
            messages.success(request, f"{run.get_kind_display()} — {run.label} lancée.")
            return redirect("billing_bo:run_detail", run.pk)
    return render(
        request,
        "billing/backoffice/run_form.html",
        {
            "form": form,
            "unfinished": unfinished,
            "period_end": form.period_end() if unfinished else None,
            **_run_anomalies(request, form),
        },
        status=400 if form.is_bound and not unfinished else 200,
    )


RUNNING = (RunStatus.PENDING, RunStatus.RUNNING)


def _run_status_context(run) -> dict:
    return {"run": run, "sums": run_sums(run), "running": run.status in RUNNING}


@agent_required
def run_detail(request, pk):
    run = get_run_for_agent(request, pk)
    page = Paginator(run_invoices(run), INVOICES_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "billing/backoffice/run_detail.html",
        {**_run_status_context(run), "page": page, "columns": exports.INVOICE_COLUMNS},
    )


@agent_required
def run_progress(request, pk):
    """The status part of the run's page alone, polled by static/js/progress.js."""
    run = get_run_for_agent(request, pk)
    response = render(request, "billing/backoffice/_run_status.html", _run_status_context(run))
    response["Cache-Control"] = "no-store"
    return response


@agent_required(roles.BILLING)
@require_POST
def run_resume(request, pk):
    run = get_run_for_agent(request, pk)
    if services_backoffice.billing_run_resume(run=run, agent_user=request.user):
        messages.success(request, "La facturation reprend là où elle s'était arrêtée.")
    else:
        messages.error(
            request,
            "Cette facturation ne peut pas être reprise : elle n'est ni en échec ni arrêtée.",
        )
    return redirect("billing_bo:run_detail", run.pk)


@agent_required
def run_invoices_csv(request, pk):
    run = get_run_for_agent(request, pk)
    return csv_response(
        exports.run_invoices_rows(run), exports.run_invoices_filename(run), exports.INVOICE_COLUMNS
    )


def _invoice_page(request, invoice, *, record_form=None, status=200):
    paid = invoice_paid_cents(invoice)
    return render(
        request,
        "billing/backoffice/invoice_detail.html",
        {
            "invoice": invoice,
            "lines": invoice_lines(invoice),
            "payments": invoice_payments(invoice),
            "paid_cents": paid,
            "left_cents": invoice_left_cents(invoice),
            "excess_cents": max(paid - invoice.total_cents, 0),
            "credit_notes": invoice_credit_notes(invoice),
            "net_cents": invoice_net_cents(invoice),
            "record_form": record_form
            or PaymentRecordForm(initial={"paid_on": timezone.localdate()}),
        },
        status=status,
    )


@agent_required
def invoice_detail(request, pk):
    return _invoice_page(request, get_invoice_for_agent(request, pk))


@agent_required(roles.BILLING)
@require_POST
def payment_record(request, pk):
    """« Enregistrer un règlement »: a cheque, cash, a transfer, a card at the counter or a
    debit received for the invoice; a refusal is told next to its field, nothing recorded."""
    invoice = get_invoice_for_agent(request, pk)
    form = PaymentRecordForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            payment = payment_record_service(
                invoice=invoice,
                method=data["method"],
                paid_on=data["paid_on"],
                reference=data["reference"],
                amount_cents=data["amount"],
                by=request.user,
            )
        except PaymentRefused as refusal:
            form.add_error(refusal.field, refusal.message)
        else:
            invoice.refresh_from_db()
            said = f"Règlement de {euros(payment.amount_cents)} enregistré"
            if payment.invoice_settled:
                said += f" : la facture {invoice.number} est réglée."
            elif invoice.status == InvoiceStatus.OPEN:
                said += f" : il reste {euros(invoice_left_cents(invoice))} à payer."
            else:
                said += "."
            messages.success(request, said)
            if payment.excess_cents:
                messages.warning(
                    request,
                    f"Trop-perçu de {euros(payment.excess_cents)} : les règlements dépassent le "
                    "montant de la facture. Il est listé dans « Paiements à vérifier » (à "
                    "rembourser).",
                )
            return redirect("billing_bo:invoice_detail", invoice.pk)
    return _invoice_page(request, invoice, record_form=form, status=400)


# Payments received


@agent_required
def payments(request):
    """The export form; it submits to `payments_csv`, which comes back here on bad dates."""
    today = timezone.localdate()
    form = PaymentsExportForm(initial={"start": today.replace(day=1), "end": today})
    return render(request, "billing/backoffice/payments.html", {"form": form})


@agent_required
def payments_csv(request):
    form = PaymentsExportForm(request.GET)
    if not form.is_valid():
        return render(request, "billing/backoffice/payments.html", {"form": form}, status=400)
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    return csv_response(
        exports.payments_rows(request.agent.authority, start, end),
        exports.payments_filename(start, end),
        exports.PAYMENT_COLUMNS,
    )


# Payments to check


@agent_required
def payments_to_check(request):
    """« Paiements à vérifier »: online payments whose amount paid differs from the amount
    asked, or that paid an invoice twice, until an agent marks them checked."""
    page = Paginator(payments_to_check_of(request.agent.authority), PAYMENTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "billing/backoffice/payments_to_check.html",
        {"page": page, "credit_notes": credit_notes_to_refund(request.agent.authority)},
    )


@agent_required(roles.BILLING)
@require_POST
def payment_review(request, pk):
    """« Marquer comme vérifié »."""
    payment = get_payment_for_agent(request, pk)
    if payment_review_service(payment=payment, agent_user=request.user):
        messages.success(
            request, f"Le règlement de la facture {payment.invoice.number} est marqué vérifié."
        )
    else:
        messages.info(request, "Ce règlement était déjà marqué vérifié.")
    return redirect("billing_bo:payments_to_check")
