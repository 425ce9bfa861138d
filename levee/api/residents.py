"""The residents' endpoints: what a personal access token's login reaches, read-only.

Each reads through the selectors the space's pages use, so the API says what « Mes bacs/
levées », « Mes factures », « Suivi de mes demandes » and the home say. An account id
that the token's login does not reach is a 404, as one that does not exist."""

import datetime
from decimal import Decimal

from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from ninja import Query, Router, Schema

from levee.billing.access import get_invoice_for_user
from levee.billing.models import InvoiceStatus
from levee.billing.pdf import invoice_duplicata, invoice_pdf_filename
from levee.billing.space import invoices_for_account
from levee.calendars.selectors import next_collections_for_account
from levee.collection.models import Flux
from levee.collection.selectors import (
    bins_for_account,
    dropoffs_for_account,
    lifts_for_account,
    monthly_totals,
)
from levee.requests.selectors import requests_of_account

from .access import api_accesses, get_account_for_token
from .auth import TokenAuth
from .errors import ApiError, Error, ValidationErrorOut, invalid_parameter
from .pagination import (
    CURSOR_DESCRIPTION,
    DEFAULT_LIMIT,
    LIMIT_DESCRIPTION,
    MAX_LIMIT,
    SINCE_DESCRIPTION,
    UNTIL_DESCRIPTION,
    Day,
    PageMeta,
    after_cursor,
    day_bounds,
    keyset_page,
    list_page,
)

router = Router(auth=TokenAuth(), tags=["Usager / Resident"])

ERRORS = {401: Error, 429: Error}
ERRORS_ACCOUNT = {401: Error, 404: Error, 422: ValidationErrorOut, 429: Error}

FLUX_DESCRIPTION = (
    "FR — Code stable du flux (le même dans chaque collectivité) : "
    + ", ".join(f"`{code}` ({label})" for code, label in Flux.choices)
    + ". EN — Stable flux code (the same in every authority)."
)


# --- Schemas ------------------------------------------------------------------------------
# Named Resident… : the OpenAPI document names its components by class name, and another
# part of the API (the authorities') has its own invoices, requests, lifts.


class ResidentAuthority(Schema):
    slug: str
    name: str


class ResidentAccount(Schema):
    id: int
    code: str
    holder: str
    billing_address: str
    authority: ResidentAuthority


class ResidentMe(Schema):
    email: str
    first_name: str
    last_name: str
    token_name: str
    token_expires_at: datetime.datetime | None
    accounts: list[ResidentAccount]


class ResidentBin(Schema):
    id: int
    flux: Flux
    flux_label: str
    volume_litres: int
    tank_number: str
    chip_number: str
    delivered_on: datetime.date
    removed_on: datetime.date | None
    address: str


class ResidentLift(Schema):
    id: int
    lifted_at: datetime.datetime
    bin_id: int
    flux: Flux
    flux_label: str
    net_weight_kg: float
    address: str


class ResidentLiftPage(PageMeta):
    items: list[ResidentLift]


class ResidentDropOff(Schema):
    id: int
    occurred_at: datetime.datetime
    kind: str
    kind_label: str
    site: str
    flux: Flux | None
    flux_label: str
    quantity: float | None
    quantity_unit: str
    weight_kg: float | None
    badge_number: str


class ResidentDropOffPage(PageMeta):
    items: list[ResidentDropOff]


class ResidentMonth(Schema):
    month: int
    lifts: int
    net_weight_kg: float


class ResidentMonthlyStatistics(Schema):
    year: int
    flux: Flux | None
    lifts: int
    net_weight_kg: float
    months: list[ResidentMonth]


class ResidentInvoice(Schema):
    id: int
    number: str
    issued_on: datetime.date
    due_on: datetime.date
    period_start: datetime.date
    period_end: datetime.date
    total_ht_cents: int
    vat_cents: int
    total_cents: int
    status: str
    status_label: str
    pdf_url: str


class ResidentInvoicePage(PageMeta):
    items: list[ResidentInvoice]


class ResidentRequest(Schema):
    id: int
    created_at: datetime.datetime
    kind: str
    kind_label: str
    status: str
    status_label: str
    decided_at: datetime.datetime | None
    made_at_counter: bool


class ResidentRequestPage(PageMeta):
    items: list[ResidentRequest]


class ResidentCollection(Schema):
    date: datetime.date | None
    nominal_date: datetime.date
    reason: str


class ResidentFluxCollections(Schema):
    flux: Flux
    flux_label: str
    rules: list[str]
    upcoming: list[ResidentCollection]
    cancelled: list[ResidentCollection]


class ResidentDwellingCollections(Schema):
    place: str
    since: datetime.date | None
    until: datetime.date | None
    fluxes: list[ResidentFluxCollections]


class ResidentCollections(Schema):
    today: datetime.date
    dwellings: list[ResidentDwellingCollections]


# --- Helpers ------------------------------------------------------------------------------


def _account_out(access) -> dict:
    account = access.account
    return {
        "id": account.pk,
        "code": account.code,
        "holder": account.holder_name,
        "billing_address": account.billing_address_line,
        "authority": {"slug": access.authority.slug, "name": access.authority.name},
    }


def _dates(depuis, jusqu_au):
    if depuis is not None and jusqu_au is not None and jusqu_au < depuis:
        raise invalid_parameter("jusqu_au", "il précède « depuis ».")
    return day_bounds(depuis, jusqu_au)


def _between(queryset, field, start, end):
    if start is not None:
        queryset = queryset.filter(**{f"{field}__gte": start})
    if end is not None:
        queryset = queryset.filter(**{f"{field}__lt": end})
    return queryset


def _flux_label(code: str) -> str:
    return Flux(code).label if code in Flux.values else ""


Since = Query(None, description=SINCE_DESCRIPTION)
Until = Query(None, description=UNTIL_DESCRIPTION)
Cursor = Query(None, description=CURSOR_DESCRIPTION, max_length=200)
Limit = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description=LIMIT_DESCRIPTION)
FluxFilter = Query(None, description=FLUX_DESCRIPTION)


# --- Endpoints ----------------------------------------------------------------------------


@router.get(
    "/me",
    response={200: ResidentMe, **ERRORS},
    summary="Moi / Me",
    description="FR — L'identifiant du jeton et les comptes usagers qu'il atteint.\n\n"
    "EN — The token's login and the accounts it reaches.",
)
def me(request):
    token = request.auth
    return {
        "email": request.user.email,
        "first_name": request.user.first_name,
        "last_name": request.user.last_name,
        "token_name": token.name,
        "token_expires_at": token.expires_at,
        "accounts": [_account_out(a) for a in api_accesses(request)],
    }


@router.get(
    "/accounts",
    response={200: list[ResidentAccount], **ERRORS},
    summary="Mes comptes / My accounts",
    description="FR — Les comptes usagers que l'identifiant atteint, toutes collectivités "
    "confondues ; leur `id` sert aux autres adresses.\n\n"
    "EN — The accounts the login reaches, in every authority; their `id` is used by the "
    "other paths.",
)
def accounts(request):
    return [_account_out(a) for a in api_accesses(request)]


@router.get(
    "/accounts/{account_id}",
    response={200: ResidentAccount, **ERRORS_ACCOUNT},
    summary="Un compte / One account",
    description="FR — Un compte usager de l'identifiant.\n\nEN — One of the login's accounts.",
)
def account(request, account_id: int):
    found = get_account_for_token(request, account_id)
    access = next(a for a in api_accesses(request) if a.account_id == found.pk)
    return _account_out(access)


@router.get(
    "/accounts/{account_id}/bins",
    response={200: list[ResidentBin], **ERRORS_ACCOUNT},
    summary="Mes bacs / My bins",
    description="FR — Les bacs du compte, en service d'abord (« Mes bacs/levées »).\n\n"
    "EN — The account's bins, those in service first.",
)
def bins(request, account_id: int):
    found = get_account_for_token(request, account_id)
    return [
        {
            "id": b.pk,
            "flux": b.flux,
            "flux_label": b.get_flux_display(),
            "volume_litres": b.volume_litres,
            "tank_number": b.tank_number,
            "chip_number": b.chip_number,
            "delivered_on": b.delivered_on,
            "removed_on": b.removed_on,
            "address": b.subscription.address_line,
        }
        for b in bins_for_account(found)
    ]


@router.get(
    "/accounts/{account_id}/lifts",
    response={200: ResidentLiftPage, **ERRORS_ACCOUNT},
    summary="Mes levées / My lifts",
    description="FR — Les levées des bacs du compte, les plus récentes d'abord, par pages "
    "(`next_cursor`) ; poids net en kg.\n\n"
    "EN — The lifts of the account's bins, newest first, in pages (`next_cursor`); net "
    "weight in kg.",
)
def lifts(
    request,
    account_id: int,
    flux: Flux | None = FluxFilter,
    depuis: Day | None = Since,
    jusqu_au: Day | None = Until,
    curseur: str | None = Cursor,
    limite: int = Limit,
):
    found = get_account_for_token(request, account_id)
    start, end = _dates(depuis, jusqu_au)
    queryset = _between(lifts_for_account(found, flux=flux), "lifted_at", start, end)
    page = keyset_page(request, queryset, field="lifted_at", cursor=curseur, limit=limite)
    page["items"] = [
        {
            "id": lift.pk,
            "lifted_at": lift.lifted_at,
            "bin_id": lift.bin_id,
            "flux": lift.bin.flux,
            "flux_label": lift.bin.get_flux_display(),
            "net_weight_kg": lift.net_weight_kg,
            "address": lift.bin.subscription.address_line,
        }
        for lift in page["items"]
    ]
    return page


@router.get(
    "/accounts/{account_id}/dropoffs",
    response={200: ResidentDropOffPage, **ERRORS_ACCOUNT},
    summary="Mes apports / My drop-offs",
    description="FR — Les apports du compte (ouvertures de badge, passages en déchèterie), "
    "les plus récents d'abord, par pages.\n\n"
    "EN — The account's drop-offs (badge openings, recycling-centre visits), newest first, "
    "in pages.",
)
def dropoffs(
    request,
    account_id: int,
    flux: Flux | None = FluxFilter,
    depuis: Day | None = Since,
    jusqu_au: Day | None = Until,
    curseur: str | None = Cursor,
    limite: int = Limit,
):
    found = get_account_for_token(request, account_id)
    start, end = _dates(depuis, jusqu_au)
    queryset = _between(dropoffs_for_account(found, flux=flux), "occurred_at", start, end)
    page = keyset_page(request, queryset, field="occurred_at", cursor=curseur, limit=limite)
    page["items"] = [
        {
            "id": d.pk,
            "occurred_at": d.occurred_at,
            "kind": d.kind,
            "kind_label": d.get_kind_display(),
            "site": d.site,
            "flux": d.flux or None,
            "flux_label": _flux_label(d.flux),
            "quantity": d.quantity,
            "quantity_unit": d.quantity_unit,
            "weight_kg": d.weight_kg,
            "badge_number": d.badge_number,
        }
        for d in page["items"]
    ]
    return page


@router.get(
    "/accounts/{account_id}/statistics/monthly",
    response={200: ResidentMonthlyStatistics, **ERRORS_ACCOUNT},
    summary="Levées par mois / Lifts per month",
    description="FR — Le nombre de levées et leur poids net (kg) par mois d'une année, "
    "comme le graphique de « Mes bacs/levées ».\n\n"
    "EN — The number of lifts and their net weight (kg) per month of a year, as the chart "
    "of « Mes bacs/levées ».",
)
def monthly_statistics(
    request,
    account_id: int,
    annee: int | None = Query(
        None,
        ge=2000,
        le=2100,
        description="FR — L'année (l'année en cours par défaut). EN — The year (default: "
        "the current one).",
    ),
    flux: Flux | None = FluxFilter,
):
    found = get_account_for_token(request, account_id)
    year = annee or timezone.localdate().year
    months = monthly_totals(found, year, flux=flux)
    return {
        "year": year,
        "flux": flux,
        "lifts": sum(count for _, count, _ in months),
        "net_weight_kg": sum((kg for _, _, kg in months), Decimal(0)),
        "months": [
            {"month": month, "lifts": count, "net_weight_kg": kg} for month, count, kg in months
        ],
    }


@router.get(
    "/accounts/{account_id}/invoices",
    response={200: ResidentInvoicePage, **ERRORS_ACCOUNT},
    summary="Mes factures / My invoices",
    description="FR — Les factures publiées du compte (« Mes factures »), les plus récentes "
    "d'abord, par pages ; montants en centimes ; `pdf_url` donne le duplicata.\n\n"
    "EN — The account's published invoices, newest first, in pages; amounts in cents; "
    "`pdf_url` gives the duplicate.",
)
def invoices(
    request,
    account_id: int,
    depuis: Day | None = Since,
    jusqu_au: Day | None = Until,
    curseur: str | None = Cursor,
    limite: int = Limit,
):
    found = get_account_for_token(request, account_id)
    if depuis is not None and jusqu_au is not None:
        _dates(depuis, jusqu_au)
    queryset = invoices_for_account(found)
    if depuis is not None:
        queryset = queryset.filter(issued_on__gte=depuis)
    if jusqu_au is not None:
        queryset = queryset.filter(issued_on__lte=jusqu_au)
    page = keyset_page(request, queryset, field="issued_on", cursor=curseur, limit=limite)
    page["items"] = [
        {
            "id": i.pk,
            "number": i.number,
            "issued_on": i.issued_on,
            "due_on": i.due_on,
            "period_start": i.period_start,
            "period_end": i.period_end,
            "total_ht_cents": i.total_ht_cents,
            "vat_cents": i.vat_cents,
            "total_cents": i.total_cents,
            "status": i.status,
            "status_label": i.get_status_display(),
            "pdf_url": request.build_absolute_uri(
                reverse("api:invoice_pdf", args=[found.pk, i.pk])
            ),
        }
        for i in page["items"]
    ]
    return page


@router.get(
    "/accounts/{account_id}/invoices/{invoice_id}/pdf",
    response={401: Error, 404: Error, 422: ValidationErrorOut, 429: Error},
    summary="Duplicata d'une facture (PDF) / Invoice duplicate (PDF)",
    description="FR — Le « DUPLICATA » de la facture, avec l'état de son règlement, comme "
    "dans « Mes factures ».\n\n"
    "EN — The invoice's duplicate, with where its payment stands, as in « Mes factures ».",
    openapi_extra={
        "responses": {
            200: {
                "description": "PDF",
                "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def invoice_pdf(request, account_id: int, invoice_id: int):
    found = get_account_for_token(request, account_id)
    invoice = get_invoice_for_user(request, found.authority, invoice_id)
    # A simulation is no invoice of the API (its lists leave them out).
    if invoice.account_id != found.pk or invoice.status == InvoiceStatus.SIMULATED:
        raise ApiError(404, "not_found", "Ressource introuvable.")
    response = HttpResponse(invoice_duplicata(invoice).read(), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{invoice_pdf_filename(invoice)}"'
    return response


@router.get(
    "/accounts/{account_id}/requests",
    response={200: ResidentRequestPage, **ERRORS_ACCOUNT},
    summary="Mes demandes / My requests",
    description="FR — Les demandes du compte et leur statut (« Suivi de mes demandes »), "
    "les plus récentes d'abord, par pages.\n\n"
    "EN — The account's requests and their status, newest first, in pages.",
)
def requests(
    request,
    account_id: int,
    depuis: Day | None = Since,
    jusqu_au: Day | None = Until,
    curseur: str | None = Cursor,
    limite: int = Limit,
):
    found = get_account_for_token(request, account_id)
    start, end = _dates(depuis, jusqu_au)
    rows = [
        r
        for r in requests_of_account(found)
        if (start is None or r.created_at >= start) and (end is None or r.created_at < end)
    ]
    rows = after_cursor(rows, field="created_at", cursor=curseur)
    page = list_page(request, rows[: limite + 1], field="created_at", limit=limite)
    page["items"] = [
        {
            "id": r.pk,
            "created_at": r.created_at,
            "kind": r.kind,
            "kind_label": r.request_type.tracking_label,
            "status": r.status,
            "status_label": r.status_label,
            "decided_at": r.decided_at,
            "made_at_counter": r.made_by_agent_id is not None,
        }
        for r in page["items"]
    ]
    return page


@router.get(
    "/accounts/{account_id}/collections",
    response={200: ResidentCollections, **ERRORS_ACCOUNT},
    summary="Prochaines collectes / Next collections",
    description="FR — Par flux, les prochaines dates de collecte du logement du compte "
    "(jours fériés et exceptions appliqués) ; un déménagement à venir ajoute le logement "
    "suivant à partir de sa date.\n\n"
    "EN — Per flux, the next collection dates at the account's dwelling (public holidays "
    "and exceptions applied); a coming move adds the next dwelling from its date.",
)
def collections(
    request,
    account_id: int,
    nombre: int = Query(
        3,
        ge=1,
        le=10,
        description="FR — Dates par flux (1 à 10). EN — Dates per flux (1 to 10).",
    ),
):
    found = get_account_for_token(request, account_id)
    today = timezone.localdate()
    calendar = next_collections_for_account(found, today=today, limit=nombre)

    def collection(c):
        return {"date": c.date, "nominal_date": c.nominal, "reason": c.reason}

    dwellings = []
    for period in calendar.periods if calendar is not None else []:
        dwellings.append(
            {
                "place": period.place,
                "since": period.since,
                "until": period.until,
                "fluxes": [
                    {
                        "flux": f.flux,
                        "flux_label": f.label,
                        "rules": list(f.rules),
                        "upcoming": [collection(c) for c in f.upcoming],
                        "cancelled": [collection(c) for c in f.cancelled],
                    }
                    for f in period.fluxes
                ],
            }
        )
    return {"today": today, "dwellings": dwellings}
