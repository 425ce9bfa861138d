"""« Mes bacs/levées » (flow 8): the household's bins, lifts and drop-offs, its production
per month beside comparable households', and the same lists as CSV files."""

import datetime
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

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
    bin_spans_for_account,
    bins_for_account,
    dropoffs_for_account,
    lifts_for_account,
    monthly_totals_and_flux_counts,
    pace_estimate,
)

PER_PAGE = 25
MONTHS = ["janv.", "févr.", "mars", "avr.", "mai", "juin"]
MONTHS += ["juil.", "août", "sept.", "oct.", "nov.", "déc."]
MONTH_NAMES = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août"]
MONTH_NAMES += ["septembre", "octobre", "novembre", "décembre"]


def _filters(request, account, today: datetime.date, bins):
    """(form, year, flux, the years that have drop-offs): the filters asked for when valid,
    else the defaults (this year if it has lifts or drop-offs, else the latest year that
    has). The flux offered are those of the household's bins in service during the year
    shown (current and removed ones alike)."""
    years, dropoff_years = activity_years_and_dropoff_years(account)
    default_year = today.year if (today.year in years or not years) else years[0]
    choices = sorted({today.year, *years}, reverse=True)
    asked = "annee" in request.GET or "flux" in request.GET
    shown_year = _asked_year(request.GET.get("annee"), choices) if asked else None
    fluxes = bins_fluxes(bins, shown_year or default_year)
    form = ProductionFilterForm(request.GET if asked else None, years=choices, fluxes=fluxes)
    if asked and form.is_valid():
        return form, form.cleaned_data["annee"], form.cleaned_data["flux"] or None, dropoff_years
    if not asked:
        form.fields["annee"].initial = default_year
    return form, default_year, None, dropoff_years


def _asked_year(value, choices: list[int]) -> int | None:
    try:
        year = int(value)
    except (TypeError, ValueError):
        return None
    return year if year in choices else None


def bins_fluxes(bins, year: int) -> list[str]:
    """The flux of the bins in service at some point of `year`, in the order of Flux."""
    first, last = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    present = {
        b.flux
        for b in bins
        if b.delivered_on <= last and (b.removed_on is None or b.removed_on >= first)
    }
    return [flux for flux in Flux.values if flux in present]


CHART_TOP, CHART_BASE = 10, 170  # the plot's top and baseline in the SVG (viewBox 600×200)
CHART_HEIGHT = CHART_BASE - CHART_TOP


def nice_scale(top: Decimal | int) -> tuple[Decimal, list[Decimal]]:
    """The axis of a bar chart whose tallest bar is `top`: its maximum and its graduations
    (0 included), a round step of 1, 2 or 5 × 10ⁿ, four or five steps, at least 1."""
    top = Decimal(top)
    if top <= 0:
        return Decimal(4), [Decimal(n) for n in range(5)]
    raw = top / 4
    magnitude = Decimal(10) ** (len(str(int(raw))) - 1) if raw >= 1 else Decimal(1)
    for factor in (1, 2, 5, 10):
        step = magnitude * factor
        if step * 5 >= top:
            break
    steps = int((top / step).to_integral_value(ROUND_CEILING))
    return step * steps, [step * n for n in range(steps + 1)]


def _axis(top_value, text) -> list[dict]:
    """The graduations of an axis: their y in the SVG and their label in French."""
    top, ticks = nice_scale(top_value)
    return [
        {"y": str(CHART_BASE - round(CHART_HEIGHT * tick / top)), "label": text(tick)}
        for tick in ticks
    ], top


def _chart(totals, averages) -> dict:
    """The rows of the monthly table and the bar heights of the two charts drawn from it
    (the same figures, twice), with their axis graduated in French figures."""
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
    axes = {}
    # The graduations are whole (steps of 1, 2 or 5 × 10ⁿ): written without decimals.
    for key, text in (("lifts", integer_text), ("kg", integer_text)):
        tallest = max([r[key] for r in rows] + [r[f"average_{key}"] or 0 for r in rows])
        axes[key], top = _axis(tallest, text)
        for r in rows:
            for name, value in ((key, r[key]), (f"average_{key}", r[f"average_{key}"] or 0)):
                height = round(CHART_HEIGHT * value / top)
                # SVG geometry as text: not localised, and a tenth of the rendering time
                # that 200 integers through number formatting would cost.
                r[f"{name}_height"], r[f"{name}_y"] = str(height), str(CHART_BASE - height)
    for index, r in enumerate(rows):
        x = 52 + index * 45
        r["x"], r["x_average"], r["x_label"] = str(x), str(x + 18), str(x + 17)
        # The table's figures as text once: kilograms and averages with one decimal each.
        r["kg_text"] = kg_text(int(r["kg"] * 1000))
        for name in ("average_lifts", "average_kg"):
            r[f"{name}_text"] = tenths_text(r[name]) if r[name] is not None else None
    total_kg = sum(r["kg"] for r in rows)
    return {
        "rows": rows,
        "axes": axes,
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


def _grouped(units: int) -> str:
    """An integer with French digit grouping (« 1 234 », a narrow no-break space)."""
    return f"{units:,}".replace(",", "\u202f")


def integer_text(value) -> str:
    return _grouped(int(value))


def kg_text(grams: int) -> str:
    """Grams as kilograms, the one way the page writes a weight: one decimal rounded half
    up, French digit grouping (« 12,0 », « 12,5 », « 1 234,5 »), as `floatformat:"1g"`
    would, for the long loops of the page."""
    tenths = (grams + 50) // 100
    return f"{_grouped(tenths // 10)},{tenths % 10}"


def tenths_text(value: Decimal) -> str:
    """A number with one decimal, rounded half up, the way `floatformat:"1g"` writes it in
    French (« 4,3 »)."""
    tenths = int((value * 10).quantize(Decimal(1), ROUND_HALF_UP))
    sign = "-" if tenths < 0 else ""
    return f"{sign}{_grouped(abs(tenths) // 10)},{abs(tenths) % 10}"


def _dropoff_rows(dropoffs) -> list[dict]:
    """A page of drop-offs as the table shows them: the volume in litres and the weight in
    kg when the data has them (« 500 L », « 75,0 kg »)."""
    rows = []
    for d in dropoffs:
        volume, weight = d.volume_litres, d.weight_kg
        rows.append(
            {
                "at": timezone.localtime(d.occurred_at).strftime("%d/%m/%Y %H:%M"),
                "kind": d.get_kind_display(),
                "site": d.site,
                "flux": d.get_flux_display() if d.flux else "",
                "volume": f"{integer_text(volume.quantize(1, ROUND_HALF_UP))}\u00a0L"
                if volume is not None
                else "",
                "weight": f"{kg_text(int(weight * 1000))}\u00a0kg" if weight is not None else "",
            }
        )
    return rows


def _projections(flux_counts, year, today, estimate) -> list[dict]:
    """The lifts the year shown will count at the pace so far, one line per flux shown:
    the page's one projection of each. Household waste takes the figure of « Mon forfait »
    when the page shows it (the lifts its plan counts, from its first day billed), so that
    one figure never stands beside another for the same lifts."""
    rows = []
    for code, count in flux_counts:
        billed = estimate is not None and estimate.unit_word == "levée"
        if year == today.year and billed and code == Flux.ORDURES_MENAGERES:
            projected = estimate.projected_lifts
        else:
            projected = pace_estimate(count, year, today)
        if projected is not None:
            rows.append({"flux": Flux(code).label, "count": count, "projected": projected})
    return rows


@login_required
def production(request, slug):
    authority = space_authority(request, slug)
    account = account_from_request(request, authority)
    today = timezone.localdate()
    bins = list(bins_for_account(account))
    form, year, flux, dropoff_years = _filters(request, account, today, bins)
    totals, flux_counts = monthly_totals_and_flux_counts(account, year, flux=flux)
    chart = _chart(totals, comparable_monthly_averages(bins, year, flux=flux))
    # The bins (and their address) are already read: the lifts need only their own columns.
    lifts = Paginator(lifts_for_account(account, year=year, flux=flux, with_bin=False), PER_PAGE)
    lifts.count = chart["total_lifts"]  # the months add up to it: no second COUNT query
    lifts_page = lifts.get_page(request.GET.get("page"))
    dropoffs = Paginator(dropoffs_for_account(account, year=year, flux=flux), PER_PAGE)
    if year not in dropoff_years:
        dropoffs.count = 0  # none that year: no query to count or list them
    dropoffs_page = dropoffs.get_page(request.GET.get("page_apports"))
    context = space_context(request, authority, account)
    # Once the year has a tariff: the plan's lifts used, the extra ones, the invoice at this
    # pace (whatever year the filters show).
    estimate = invoice_estimate(subscription=context["subscription"], today=today, bins=bins)
    return render(
        request,
        "collection/production.html",
        {
            **context,
            "invoice_estimate": estimate,
            "form": form,
            "selects": [_select(form, "annee"), _select(form, "flux")],
            "year": year,
            "flux_label": Flux(flux).label if flux else "",
            "is_current_year": year == today.year,
            "projections": _projections(flux_counts, year, today, estimate),
            "bins": bins,
            "lifts_page": lifts_page,
            "lift_rows": _lift_rows(lifts_page, {b.pk: b for b in bins}),
            "dropoffs_page": dropoffs_page,
            "dropoff_rows": _dropoff_rows(dropoffs_page),
            "chart": chart,
            "export_query": request.GET.urlencode() if form.is_bound and form.is_valid() else "",
        },
    )


def _export_filters(request, slug, account):
    bins = bin_spans_for_account(account)
    form, year, flux, _ = _filters(request, account, timezone.localdate(), bins)
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
            decimal_fr(d.weight_kg) if d.weight_kg is not None else "",
        ]
        for d in dropoffs.iterator(chunk_size=2000)
    )
    header = ["Date", "Heure", "Type", "Lieu", "Flux", "Quantité", "Unité", "Poids (kg)"]
    return csv_response(rows, f"apports-{account.code}-{year}.csv", header)
