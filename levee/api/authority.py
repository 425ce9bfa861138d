"""The authorities' endpoints: what an authority's software does with an API key created
by an « Administrateur » in the back office (« Clés d'API »), each endpoint under one
scope of the key, on the key's authority's data only.

Pushing lifts, drop-offs or subscribers goes through the CSV import itself
(levee/collection/importers, levee/subscribers/importers.py): the items are written as
the lines of an import file (their fields are its columns, IMPORT_FORMAT.md), imported as
one batch (listed in the back office's « Imports »), and each item gets the result of its
line, with the same reason a file would get. Importing the same items again adds nothing.
Every push is written to the audit log with the key as its author."""

import csv
import datetime
import io
import json
import math
import re
from decimal import Decimal
from typing import Annotated

from django.db import transaction
from django.http import HttpResponse
from ninja import Field, Query, Router, Schema
from ninja.security import HttpBearer
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    PlainValidator,
    StrictFloat,
    StrictInt,
    StrictStr,
    TypeAdapter,
    create_model,
)

from levee.audit.services import audit_write
from levee.collection.importers.batches import import_file, importer_for
from levee.collection.models import ImportKind, ImportStatus
from levee.integrations import selectors
from levee.integrations.models import Scope
from levee.integrations.services import KeyRefused, api_key_check
from levee.lib import throttle
from levee.requests.models import RequestStatus

from .auth import limit_calls
from .errors import ApiError, Error
from .pagination import (
    CURSOR_DESCRIPTION,
    DEFAULT_LIMIT,
    LIMIT_DESCRIPTION,
    MAX_LIMIT,
    PageMeta,
    day_bounds,
    keyset_page,
)

# Calls per key and per minute: a truck's software pushes every few minutes, a billing
# software exports once a night; a push carries up to MAX_ITEMS items.
KEY_CALLS = throttle.Limit("api-key", 120, 60)
MAX_ITEMS = 10_000

# A 422 is either the framework's (with `field` and `errors`) or this module's own (a batch
# too large, empty, refused): both hold `code` and `message`.
ERRORS = {401: Error, 403: Error, 422: Error, 429: Error}
# A push's body that is not JSON: 400 `invalid_json`.
PUSH_ERRORS = {400: Error, **ERRORS}


class KeyAuth(HttpBearer):
    """`Authorization: Bearer <clé>`: an authority's API key, limited per key; with a
    `scope`, a key without it is refused here (403 `scope_missing`), before the body is
    read and validated."""

    def __init__(self, scope: Scope | None = None):
        super().__init__()
        self.scope = scope

    def __call__(self, request):
        scheme, _, raw = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not raw.strip():
            raise ApiError(
                401,
                "unauthorized",
                "Clé d'API absente : envoyez l'en-tête « Authorization: Bearer <clé> » avec une "
                "clé créée par un administrateur dans le back office (« Clés d'API »).",
                headers={"WWW-Authenticate": "Bearer"},
            )
        return self.authenticate(request, raw.strip())

    def authenticate(self, request, token: str):
        try:
            key = api_key_check(token)
        except KeyRefused as refused:
            raise ApiError(
                401, refused.code, refused.message, headers={"WWW-Authenticate": "Bearer"}
            ) from None
        limit_calls(KEY_CALLS, f"key:{key.pk}")
        if self.scope is not None:
            _require(key, self.scope)
        return key


router = Router(auth=KeyAuth(), tags=["Collectivité / Authority"])


def _scope(request, scope: Scope):
    """The request's key, if it holds `scope`; else 403 `scope_missing`."""
    return _require(request.auth, scope)


def _require(key, scope: Scope):
    if scope not in key.scopes:
        raise ApiError(
            403,
            "scope_missing",
            f"Cette clé n'a pas le droit « {scope.label} » ({scope.value}) : un administrateur "
            "peut créer une clé qui l'a, dans le back office (« Clés d'API »).",
        )
    return key


# --- Pushes --------------------------------------------------------------------------------

# Strict: a JSON true is no value of a cell (lax pydantic would read it as 1).
Value = StrictStr | StrictInt | StrictFloat | None


class _Item(BaseModel):
    """One line of an import file: its columns as fields, each a text (or a number, read as
    its text); a field left out is an empty cell, an unknown one is refused."""

    model_config = ConfigDict(extra="forbid")


def _item_model(name: str, kind: str, *, required: tuple[str, ...] = ()) -> type[BaseModel]:
    layout = importer_for(kind).layout
    return create_model(
        name,
        __base__=_Item,
        **{c: (Value, ... if c in required else None) for c in layout.columns},
    )


AuthorityLift = _item_model("AuthorityLift", ImportKind.LIFTS)
AuthorityDropOff = _item_model("AuthorityDropOff", ImportKind.DROPOFFS)
AuthoritySubscriber = _item_model(
    "AuthoritySubscriber", ImportKind.SUBSCRIBERS, required=("code_usager",)
)

# The types of a cell's value as JSON gives them (type(), not isinstance: a JSON true is a
# bool, an int to isinstance, and no value of a cell).
_CELL_TYPES = frozenset((str, int, float, type(None)))


def _batch(model: type[BaseModel]):
    """A push's items, each an object of `model`'s fields, given to the view as dicts (the
    fields an item leaves out absent). The usual batch — objects whose keys are the model's
    fields (its required ones included) and whose values are texts, numbers or null — is
    taken as it is, checked in plain Python: pydantic's validation of 10,000 items through
    the model costs a push several times that. Any other goes through the model, whose
    errors name the item and the field (items.3.puce) as they always did. The OpenAPI
    document describes the model either way."""
    fields = frozenset(model.model_fields)
    required = frozenset(n for n, f in model.model_fields.items() if f.is_required())
    adapter = TypeAdapter(list[model])
    cell = _CELL_TYPES

    def validate(value):
        if type(value) is list and all(
            type(item) is dict
            and required <= item.keys() <= fields
            and cell.issuperset(map(type, item.values()))
            for item in value
        ):
            return value
        return [item.model_dump(exclude_unset=True) for item in adapter.validate_python(value)]

    return Annotated[list[model], PlainValidator(validate, json_schema_input_type=list[model])]


ITEMS = (
    "FR — 10 000 éléments au plus, chacun une ligne du fichier d'import CSV, ses colonnes pour "
    "champs. EN — 10,000 items at most, each one line of the CSV import file."
)


# Documented, not enforced by pydantic: an empty list is answered 422 `empty_batch` (_push).
AT_LEAST_ONE = {"minItems": 1}


class AuthorityLifts(Schema):
    items: _batch(AuthorityLift) = Field(description=ITEMS, json_schema_extra=AT_LEAST_ONE)


class AuthorityDropOffs(Schema):
    items: _batch(AuthorityDropOff) = Field(description=ITEMS, json_schema_extra=AT_LEAST_ONE)


class AuthoritySubscribers(Schema):
    items: _batch(AuthoritySubscriber) = Field(
        json_schema_extra=AT_LEAST_ONE,
        description=ITEMS + " FR — Une colonne absente de tous les éléments est laissée telle "
        "quelle. EN — A column left out of every item is left as it is.",
    )


# A plain model, not a ninja Schema: a Schema validates each of a push's 10,000 results
# through its getter for ORM objects (0.2 to 1 s of a push), these are dicts.
class AuthorityItemResult(BaseModel):
    index: int
    status: str = Field(description="`accepted` (imported, or already there) or `rejected`")
    reason: str | None = Field(description="FR — Le motif du rejet, comme dans l'import CSV.")


class AuthorityPushResult(Schema):
    import_id: int | None = Field(description="FR — L'import (« Imports » du back office).")
    received: int
    imported: int
    unchanged: int
    rejected: int
    results: list[AuthorityItemResult]


def _cell_reason(columns: list[str], values: list[str]) -> str | None:
    """Why an item cannot be a line of a file, or None: a line break, or another control
    character (which would make the whole file read as binary and refused)."""
    if "".join(values).isprintable():  # the usual item: no control, no lone surrogate
        return None
    for column, value in zip(columns, values, strict=True):
        if "\n" in value or "\r" in value:
            return f"retour à la ligne dans « {column} »"
        if any(ord(c) < 32 and c != "\t" for c in value):
            return f"caractère de contrôle (invisible) dans « {column} »"
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate (\ud800…), which JSON lets through
            return f"caractère invalide dans « {column} »"
    return None


def _number(n: int) -> str:
    return f"{n:,}".replace(",", "\u202f")  # « 10 000 », a narrow no-break space


def _text(value: Value) -> str:
    """The cell a file would hold: a float written out in full (1e308 is a huge weight, not
    a text the import cannot read; 1e-07 has too many decimals), never in exponent form."""
    if value is None:
        return ""
    if isinstance(value, float):
        if not math.isfinite(value):  # JSON's NaN and Infinity, which json.loads reads
            return repr(value)
        text = repr(value)  # the shortest that reads back the same: 12.982
        if "e" not in text and value:  # (-0.0 is written 0)
            return text.removesuffix(".0")
        if value == int(value):
            return str(int(value))
        return format(Decimal(text), "f")
    return str(value)


def _push(request, *, scope: Scope, kind: str, items: list[dict], every_column: bool) -> dict:
    key = _scope(request, scope)
    if len(items) > MAX_ITEMS:
        raise ApiError(
            422,
            "batch_too_large",
            f"Trop d'éléments : {_number(MAX_ITEMS)} au plus par envoi, "
            f"{_number(len(items))} reçus. Envoyez-les en plusieurs lots.",
        )
    if not items:
        raise ApiError(
            422,
            "empty_batch",
            "Aucun élément : envoyez au moins un élément dans « items ».",
        )
    layout = importer_for(kind).layout
    if every_column:
        columns = list(layout.columns)
    else:
        columns = [c for c in layout.columns if any(c in item for item in items)]
        missing = [
            " ou ".join(group) for group in layout.one_of if not any(c in columns for c in group)
        ]
        if missing:
            # As a file whose header lacks them: nothing is imported.
            reason = "aucun élément n'a le champ " + " ni ".join(
                f"« {c} »" for c in missing[0].split(" ou ")
            )
            return {
                "import_id": None,
                "received": len(items),
                "imported": 0,
                "unchanged": 0,
                "rejected": len(items),
                "results": [
                    {"index": i, "status": "rejected", "reason": reason} for i in range(len(items))
                ],
            }
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\n")
    writer.writerow(columns)
    lines, early = [], {}  # the item of each line of the file; items refused before it
    for index, item in enumerate(items):
        values = [v if type(v) is str else _text(v) for v in map(item.get, columns)]
        reason = _cell_reason(columns, values)
        if reason:
            early[index] = reason
            continue
        writer.writerow(values)
        lines.append(index)
    with transaction.atomic():
        batch = import_file(
            authority=key.authority,
            kind=kind,
            file=io.BytesIO(buffer.getvalue().encode()),
            filename=f"API, clé « {key.name} »",
        )
        if batch.status != ImportStatus.DONE:
            raise ApiError(422, "batch_refused", batch.message)
        reasons = _rejected_lines(batch.rejected_report)
        by_index = dict(early)
        for line, index in enumerate(lines, start=2):
            if line in reasons:
                by_index[index] = reasons[line]
        rejected = len(by_index)
        counts = {
            "received": len(items),
            "imported": batch.rows_imported,
            "unchanged": len(items) - rejected - batch.rows_imported,
            "rejected": rejected,
        }
        audit_write(
            authority=key.authority,
            api_key=key,
            action="import.api_push",
            obj=batch,
            after={"kind": kind, **counts},
        )
    return _push_answer({"import_id": batch.pk, **counts}, len(items), by_index)


def _push_answer(head: dict, received: int, reasons: dict[int, str]) -> HttpResponse:
    """The push's AuthorityPushResult, written as JSON here: built as 10,000 result objects
    and checked against the schema by the framework, it cost a push more than a third of
    its own work besides the import (the schema tests still check every answer). An
    accepted item's result is always the same text but its index."""
    accepted = '{"index":%d,"status":"accepted","reason":null}'
    results = ",".join(
        json.dumps({"index": index, "status": "rejected", "reason": reasons[index]})
        if index in reasons
        else accepted % index
        for index in range(received)
    )
    body = json.dumps(head)[:-1] + ',"results":[' + results + "]}"
    return HttpResponse(body, content_type="application/json")


def _rejected_lines(report: str) -> dict[int, str]:
    """line → reason, read back from the batch's report of rejected lines (« ligne;motif »)."""
    found = {}
    for row in list(csv.reader(io.StringIO(report), delimiter=";"))[1:]:
        if len(row) == 2 and row[0].isdigit():
            found[int(row[0])] = row[1]
    return found


PUSH_DESCRIPTION = (
    "FR — {what} par lots de 10 000 au plus, avec les colonnes du fichier d'import CSV "
    "(IMPORT_FORMAT.md) pour champs. Un résultat par élément (`accepted` ou `rejected` avec "
    "le motif de l'import CSV) ; renvoyer les mêmes éléments n'ajoute rien. EN — {en} in "
    "batches of up to 10,000, the CSV import's columns as fields; one result per item; "
    "sending the same items again adds nothing."
)


@router.post(
    "/authority/lifts",
    auth=KeyAuth(Scope.LIFTS_WRITE),
    response={200: AuthorityPushResult, **PUSH_ERRORS},
    summary="Envoyer des levées / Push lifts",
    description=PUSH_DESCRIPTION.format(what="Envoie des levées", en="Pushes lifts")
    + " Droit / scope : `lifts:write`.",
)
def lifts_push(request, payload: AuthorityLifts):
    return _push(
        request,
        scope=Scope.LIFTS_WRITE,
        kind=ImportKind.LIFTS,
        items=payload.items,
        every_column=True,
    )


@router.post(
    "/authority/dropoffs",
    auth=KeyAuth(Scope.DROPOFFS_WRITE),
    response={200: AuthorityPushResult, **PUSH_ERRORS},
    summary="Envoyer des apports / Push drop-offs",
    description=PUSH_DESCRIPTION.format(what="Envoie des apports", en="Pushes drop-offs")
    + " Droit / scope : `dropoffs:write`.",
)
def dropoffs_push(request, payload: AuthorityDropOffs):
    return _push(
        request,
        scope=Scope.DROPOFFS_WRITE,
        kind=ImportKind.DROPOFFS,
        items=payload.items,
        every_column=True,
    )


@router.post(
    "/authority/subscribers",
    auth=KeyAuth(Scope.SUBSCRIBERS_WRITE),
    response={200: AuthorityPushResult, **PUSH_ERRORS},
    summary="Créer ou mettre à jour des abonnés et leurs bacs / Upsert subscribers and bins",
    description=PUSH_DESCRIPTION.format(
        what="Crée ou met à jour des comptes usagers, abonnements et bacs",
        en="Creates or updates accounts, subscriptions and bins",
    )
    + " Droit / scope : `subscribers:write`.",
)
def subscribers_push(request, payload: AuthoritySubscribers):
    return _push(
        request,
        scope=Scope.SUBSCRIBERS_WRITE,
        kind=ImportKind.SUBSCRIBERS,
        items=payload.items,
        every_column=False,
    )


# --- Exports -------------------------------------------------------------------------------


def _iso_day(value):
    """Only a day written AAAA-MM-JJ (pydantic would read « 0 » as 1 January 1970)."""
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return value
    if isinstance(value, datetime.date):
        return value
    raise ValueError("Indiquez une date au format AAAA-MM-JJ (par exemple 2026-01-31).")


Day = Annotated[datetime.date, BeforeValidator(_iso_day)]

SINCE = "FR — À partir de ce jour inclus (AAAA-MM-JJ, heure de Paris). EN — From this day on."


class AuthorityInvoice(Schema):
    id: int
    number: str
    issued_on: datetime.date
    due_on: datetime.date
    status: str
    account_code: str
    payer_name: str
    total_ht_cents: int
    vat_cents: int
    total_cents: int
    paid_at: datetime.datetime | None

    @staticmethod
    def resolve_account_code(obj):
        return obj.account.code


class AuthorityInvoicePage(PageMeta):
    items: list[AuthorityInvoice]


class AuthorityPayment(Schema):
    id: int
    invoice_number: str
    account_code: str
    status: str
    channel: str
    method: str
    amount_cents: int
    paid_at: datetime.datetime
    reference: str
    transaction_id: str

    @staticmethod
    def resolve_invoice_number(obj):
        return obj.invoice.number

    @staticmethod
    def resolve_account_code(obj):
        return obj.account.code if obj.account_id else ""


class AuthorityPaymentPage(PageMeta):
    items: list[AuthorityPayment]


class AuthorityRequest(Schema):
    id: int
    kind: str
    status: str
    account_code: str | None
    created_at: datetime.datetime
    updated_at: datetime.datetime

    @staticmethod
    def resolve_account_code(obj):
        return obj.account.code if obj.account_id else None


class AuthorityRequestPage(PageMeta):
    items: list[AuthorityRequest]


Since = Query(None, description=SINCE)
Cursor = Query(None, description=CURSOR_DESCRIPTION, max_length=200)
Limit = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description=LIMIT_DESCRIPTION)
StatusFilter = Query(None, description="FR — Statut de la demande. EN — Request status.")


def _paging(curseur, limite):
    return {"cursor": curseur, "limit": limite}


@router.get(
    "/authority/invoices",
    response={200: AuthorityInvoicePage, **ERRORS},
    summary="Factures émises / Issued invoices",
    description="FR — Les factures émises par la collectivité, les plus récentes d'abord, "
    "depuis un jour. EN — The authority's issued invoices, newest first, since a day. "
    "Droit / scope : `invoices:read`.",
)
def invoices_export(
    request,
    depuis: Day | None = Since,
    curseur: str | None = Cursor,
    limite: int = Limit,
):
    key = _scope(request, Scope.INVOICES_READ)
    found = selectors.invoices_issued(authority=key.authority, since=depuis)
    return keyset_page(request, found, field="issued_on", **_paging(curseur, limite))


@router.get(
    "/authority/payments",
    response={200: AuthorityPaymentPage, **ERRORS},
    summary="Règlements / Payments",
    description="FR — Les règlements reçus (en ligne, enregistrés ou importés), les plus "
    "récents d'abord, depuis un jour. EN — Payments received, newest first, since a day. "
    "Droit / scope : `payments:read`.",
)
def payments_export(
    request,
    depuis: Day | None = Since,
    curseur: str | None = Cursor,
    limite: int = Limit,
):
    key = _scope(request, Scope.PAYMENTS_READ)
    since, _ = day_bounds(depuis, None)
    found = selectors.payments_confirmed(authority=key.authority, since=since)
    return keyset_page(request, found, field="paid_at", **_paging(curseur, limite))


@router.get(
    "/authority/requests",
    response={200: AuthorityRequestPage, **ERRORS},
    summary="Demandes des usagers / Residents' requests",
    description="FR — Les demandes reçues, les plus récentes d'abord ; filtres : depuis un "
    "jour, statut. EN — Requests received, newest first. Droit / scope : `requests:read`.",
)
def requests_list(
    request,
    depuis: Day | None = Since,
    statut: RequestStatus | None = StatusFilter,
    curseur: str | None = Cursor,
    limite: int = Limit,
):
    key = _scope(request, Scope.REQUESTS_READ)
    since, _ = day_bounds(depuis, None)
    found = selectors.requests_received(
        authority=key.authority, since=since, status=statut.value if statut else ""
    )
    return keyset_page(request, found, field="created_at", **_paging(curseur, limite))
