"""« Mes bacs/levées » (flow 8): the household's bins, lifts and drop-offs, its production
per month beside comparable households', and the same lists as CSV files."""

import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from levee.billing.estimates import invoice_estimate
from levee.lib.downloads import csv_response
from levee.lib.spreadsheet import decimal_fr
from levee.space.access import space_authority
from levee.space.views import account_from_request, space_context

from .averages import comparable_monthly_averages
from .forms import ProductionFilterForm
from .models import Flux
from .selectors import (
    activity_years_and_dropoff_years,
    bins_for_account,
    dropoffs_for_account,
    lifts_for_account,
    monthly_totals,
    pace_estimate,
)

PER_PAGE = 25
TENTH = Decimal("0.1")
MONTHS = ["janv.", "févr.", "mars", "avr.", "mai", "juin"]
MONTHS += ["juil.", "août", "sept.", "oct.", "nov.", "déc."]
MONTH_NAMES = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août"]
MONTH_NAMES += ["septembre", "octobre", "novembre", "décembre"]


def _filters(request, account, today: datetime.date):
    """(form, year, flux, the years that have drop-offs): the filters asked for when valid,
    else the defaults (this year if it has lifts or drop-offs, else the latest year that
    has)."""
    years, dropoff_years = activity_years_and_dropoff_years(account)
    default_year = today.year if (today.year in years or not years) else years[0]
    choices = sorted({today.year, *years}, reverse=True)
    asked = "annee" in request.GET or "flux" in request.GET
    form = ProductionFilterForm(request.GET if asked else None, years=choices)
    if asked and form.is_valid():
        return form, form.cleaned_data["annee"], form.cleaned_data["flux"] or None, dropoff_years
    if not asked:
        form.fields["annee"].initial = default_year
    return form, default_year, None, dropoff_years


def _chart(totals, averages) -> dict:
    """The rows of the monthly table and the bar heights (in % of the tallest) of the two
    charts drawn from it: the same figures, twice."""
    averages = averages or {}
    rows = []
    for month, count, kg in totals:
        average = averages.get(month)
        rows.append(
            {
                "label": MONTHS[month - 1],
                "name": MONTH_NAMES[month - 1].capitalize(),
                "lifts": count,
                "kg": kg,
                "average_lifts": average.lifts if average else None,
                "average_kg": average.kg if average else None,
            }
        )
    for key in ("lifts", "kg"):
        top = max([r[key] for r in rows] + [r[f"average_{key}"] or 0 for r in rows]) or 1
        for r in rows:
            for name, value in ((key, r[key]), (f"average_{key}", r[f"average_{key}"] or 0)):
                height = round(160 * value / top)
                # SVG geometry as text: not localised, and a tenth of the rendering time
                # that 200 integers through number formatting would cost.
                r[f"{name}_height"], r[f"{name}_y"] = str(height), str(170 - height)
    for index, r in enumerate(rows):
        x = 40 + index * 46
        r["x"], r["x_average"], r["x_label"] = str(x), str(x + 18), str(x + 17)
        # The table's figures as text once, as floatformat:"-1" and "1" would write them.
        r["kg_text"] = kg_text(int(r["kg"] * 1000))
        for name in ("average_lifts", "average_kg"):
            r[f"{name}_text"] = tenths_text(r[name]) if r[name] is not None else None
    total_kg = sum(r["kg"] for r in rows)
    return {
        "rows": rows,
        "has_average": bool(averages),
        "total_lifts": sum(r["lifts"] for r in rows),
        "total_kg": total_kg,
        "total_kg_text": kg_text(int(total_kg * 1000)),
    }


def _select(form, name: str) -> dict:
    """A select of the filters as its template writes it (what Django's Select widget
    would render, without the cost of rendering a widget template per option)."""
    bound = form[name]
    errors = bound.errors if form.is_bound else []
    value = bound.value()
    chosen = "" if value is None else str(value)
    options = []
    for option_value, label in form.fields[name].choices:
        option_value = "" if option_value is None else str(option_value)
        options.append((option_value, label, option_value == chosen))
        if option_value == chosen:
            chosen = None  # one selected option, as Select does
    return {
        "id": bound.auto_id,
        "name": name,
        "label": bound.label,
        "required": form.fields[name].required,
        "options": options,
        "errors": errors,
    }


def _lift_rows(lifts, bins_by_pk: dict) -> list[dict]:
    """A page of lifts as the table shows them, their bin (with its address) taken from the
    bins already read rather than joined again on every row."""
    rows = []
    for lift in lifts:
        lift_bin = bins_by_pk.get(lift.bin_id) or lift.bin
        number = lift_bin.chip_number or lift_bin.tank_number
        at = timezone.localtime(lift.lifted_at)
        rows.append(
            {
                "pk": str(lift.pk),
                "at": at.strftime("%d/%m/%Y %H:%M"),
                "at_words": at.strftime("%d/%m/%Y à %H:%M"),
                "bin": f"{lift_bin.volume_litres} L — {number}",
                "flux": lift_bin.get_flux_display(),
                "kg": kg_text(lift.net_weight_grams),
                "address": lift_bin.subscription.address_line.upper(),
            }
        )
    return rows


def kg_text(grams: int) -> str:
    """Grams as kilograms the way `floatformat:"-1"` writes them in French (« 12 »,
    « 12,5 »: one decimal rounded half up unless the kilograms are whole), for the long
    loops of the page."""
    if grams % 1000 == 0:
        return str(grams // 1000)
    tenths = (grams + 50) // 100
    return f"{tenths // 10},{tenths % 10}"


def tenths_text(value: Decimal) -> str:
    """A number with one decimal, rounded half up, the way `floatformat:"1"` writes it in
    French (« 4,3 »)."""
    return f"{value.quantize(TENTH, ROUND_HALF_UP):f}".replace(".", ",")


@login_required
def production(request, slug):
    authority = space_authority(request, slug)
    account = account_from_request(request, authority)
    today = timezone.localdate()
    form, year, flux, dropoff_years = _filters(request, account, today)
    bins = list(bins_for_account(account))
    chart = _chart(
        monthly_totals(account, year, flux=flux),
        comparable_monthly_averages(bins, year, flux=flux),
    )
    # The bins (and their address) are already read: the lifts need only their own columns.
    lifts = Paginator(lifts_for_account(account, year=year, flux=flux, with_bin=False), PER_PAGE)
    lifts.count = chart["total_lifts"]  # the months add up to it: no second COUNT query
    lifts_page = lifts.get_page(request.GET.get("page"))
    dropoffs = Paginator(dropoffs_for_account(account, year=year, flux=flux), PER_PAGE)
    if year not in dropoff_years:
        dropoffs.count = 0  # none that year: no query to count or list them
    context = space_context(request, authority, account)
    return render(
        request,
        "collection/production.html",
        {
            **context,
            # Once the year has a tariff: the plan's lifts used, the extra ones, the invoice
            # at this pace (whatever year the filters show).
            "invoice_estimate": invoice_estimate(
                subscription=context["subscription"], today=today, bins=bins
            ),
            "form": form,
            "selects": [_select(form, "annee"), _select(form, "flux")],
            "year": year,
            "flux_label": Flux(flux).label if flux else "",
            "is_current_year": year == today.year,
            "estimate": pace_estimate(chart["total_lifts"], year, today),
            "bins": bins,
            "lifts_page": lifts_page,
            "lift_rows": _lift_rows(lifts_page, {b.pk: b for b in bins}),
            "dropoffs_page": dropoffs.get_page(request.GET.get("page_apports")),
            "chart": chart,
            "export_query": request.GET.urlencode() if form.is_bound and form.is_valid() else "",
        },
    )


def _export_filters(request, slug, account):
    form, year, flux, _ = _filters(request, account, timezone.localdate())
    if form.is_bound and not form.is_valid():
        # The page shows the error next to the filter that caused it.
        return (
            None,
            None,
            redirect(f"{reverse('collection:production', args=[slug])}?{request.GET.urlencode()}"),
        )
    return year, flux, None


@login_required
def lifts_csv(request, slug):
    authority = space_authority(request, slug)
    account = account_from_request(request, authority)
    year, flux, refused = _export_filters(request, slug, account)
    if refused:
        return refused
    lifts = lifts_for_account(account, year=year, flux=flux)
    rows = (
        [
            timezone.localtime(lift.lifted_at).strftime("%d/%m/%Y"),
            timezone.localtime(lift.lifted_at).strftime("%H:%M"),
            lift.bin.get_flux_display(),
            lift.bin.volume_litres,
            lift.bin.chip_number,
            lift.bin.tank_number,
            decimal_fr(lift.net_weight_kg),
            lift.bin.subscription.address_line.upper(),
        ]
        for lift in lifts.iterator(chunk_size=2000)
    )
    header = ["Date", "Heure", "Flux", "Volume (L)", "N° de puce", "N° de cuve", "Poids (kg)"]
    return csv_response(rows, f"levees-{account.code}-{year}.csv", [*header, "Adresse"])


@login_required
def dropoffs_csv(request, slug):
    authority = space_authority(request, slug)
    account = account_from_request(request, authority)
    year, flux, refused = _export_filters(request, slug, account)
    if refused:
        return refused
    dropoffs = dropoffs_for_account(account, year=year, flux=flux)
    rows = (
        [
            timezone.localtime(d.occurred_at).strftime("%d/%m/%Y"),
            timezone.localtime(d.occurred_at).strftime("%H:%M"),
            d.get_kind_display(),
            d.site,
            d.get_flux_display() if d.flux else "",
            decimal_fr(d.quantity) if d.quantity is not None else "",
            d.get_quantity_unit_display() if d.quantity is not None else "",
        ]
        for d in dropoffs.iterator(chunk_size=2000)
    )
    header = ["Date", "Heure", "Type", "Lieu", "Flux", "Quantité", "Unité"]
    return csv_response(rows, f"apports-{account.code}-{year}.csv", header)
