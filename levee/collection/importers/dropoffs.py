"""The drop-off import: badge openings at drop-off containers and déchèterie visits, from
the access-control software, into `DropOff` rows (format: IMPORT_FORMAT.md).

Read and checked line by line like the lifts (reading.py). The account is found by its
code usager; a line with a badge number only is matched through the badges already seen
with a code usager (earlier in the file, or in the drop-offs imported before, if the badge
served one account only). Importing a file again adds nothing twice: a drop-off is unique
by (account, date-time, site), conflicts are ignored.
"""

from django.utils import timezone

from levee.authorities.models import Authority
from levee.lib.text import fold_compact
from levee.subscribers.models import Account

from ..models import DropOff, DropOffKind, ImportBatch, ImportKind, QuantityUnit
from .batches import Importer, Outcome, import_file, insert_new
from .reading import CsvLayout, shown
from .values import FLUX_CODES, flux_parse, thousandths_decimal, thousandths_parse, timestamp_parse

LAYOUT = CsvLayout(
    what="d'apports",
    columns=(
        "horodatage",
        "type",
        "code_usager",
        "badge",
        "lieu",
        "flux",
        "quantite",
        "unite",
        "poids_kg",
    ),
    optional=frozenset({"code_usager", "badge", "flux", "quantite", "unite", "poids_kg"}),
    one_of=(("code_usager", "badge"),),
)
MAX_CODE_LENGTH = 20  # Account.code
MAX_BADGE_LENGTH = 30  # DropOff.badge_number
MAX_SITE_LENGTH = 100  # DropOff.site
MAX_QUANTITY = 999_999_999  # thousandths: DropOff.quantity has 9 digits, 3 decimals
MAX_WEIGHT_GRAMS = 100_000_000  # 100 tonnes: a typo beyond it

KINDS = {
    "badge": DropOffKind.BADGE,
    "ouverture": DropOffKind.BADGE,
    "ouverturedebadge": DropOffKind.BADGE,
    "colonne": DropOffKind.BADGE,
    "decheterie": DropOffKind.DECHETERIE,
    "passage": DropOffKind.DECHETERIE,
    "passageendecheterie": DropOffKind.DECHETERIE,
    "visite": DropOffKind.DECHETERIE,
}
# unit as written → (unit stored, factor to it)
UNITS = {
    "l": (QuantityUnit.LITRES, 1),
    "litre": (QuantityUnit.LITRES, 1),
    "litres": (QuantityUnit.LITRES, 1),
    "m3": (QuantityUnit.LITRES, 1000),
    "kg": (QuantityUnit.KG, 1),
    "kilo": (QuantityUnit.KG, 1),
    "kilos": (QuantityUnit.KG, 1),
}
AMBIGUOUS = object()


def dropoff_import(*, authority: Authority, file, filename: str, created_by=None) -> ImportBatch:
    """Imports a CSV file of drop-offs for `authority` and returns its ImportBatch (`done`
    with its counts and rejected lines, or `failed` with a message and nothing imported)."""
    return import_file(
        authority=authority,
        kind=ImportKind.DROPOFFS,
        file=file,
        filename=filename,
        created_by=created_by,
    )


def _parse(fields: tuple | str, now) -> tuple | str:
    """(datetime, kind, code, badge, site, flux, quantity in thousandths or None, unit,
    weight in grams or None), or the reason."""
    if isinstance(fields, str):
        return fields
    stamp, kind, code, badge, site, flux, quantity, unit, weight = (f or "" for f in fields)
    occurred_at = timestamp_parse(stamp)
    if isinstance(occurred_at, str):
        return occurred_at
    if occurred_at > now:
        return f"date dans le futur : « {stamp} »"
    kind_code = KINDS.get(fold_compact(kind))
    if kind_code is None:
        return f"type d'apport inconnu : « {shown(kind)} » (attendu « badge » ou « déchèterie »)"
    if not code and not badge:
        return "ni code usager ni n° de badge"
    if len(code) > MAX_CODE_LENGTH:
        return f"code usager trop long ({MAX_CODE_LENGTH} caractères au plus)"
    if len(badge) > MAX_BADGE_LENGTH:
        return f"n° de badge trop long ({MAX_BADGE_LENGTH} caractères au plus)"
    if not site:
        return "lieu manquant"
    if len(site) > MAX_SITE_LENGTH:
        return f"lieu trop long ({MAX_SITE_LENGTH} caractères au plus)"
    flux = flux_parse(flux)
    if flux not in FLUX_CODES:
        return flux
    amount, unit_code = None, ""
    if quantity:
        amount = thousandths_parse(quantity, "quantité", negative="négative")
        if isinstance(amount, str):
            return amount
        if not unit:
            return f"unité manquante pour la quantité « {quantity} » (L, m3 ou kg)"
        found = UNITS.get(fold_compact(unit))
        if found is None:
            return f"unité inconnue : « {shown(unit)} » (attendu L, m3 ou kg)"
        unit_code, factor = found
        amount *= factor
        if amount > MAX_QUANTITY:
            return f"quantité trop grande : « {quantity} {unit} »"
    grams = None
    if weight:
        grams = thousandths_parse(weight, "poids", negative="négatif")
        if isinstance(grams, str):
            return grams
        if grams > MAX_WEIGHT_GRAMS:
            return f"poids trop grand : « {shown(weight)} » kg"
    return occurred_at, kind_code, code, badge, site, flux, amount, unit_code, grams


class _Accounts:
    """The authority's accounts by code, and by badge number when it is all a line gives."""

    def __init__(self, authority: Authority):
        self.authority = authority
        self.by_code = dict(
            Account.objects.filter(authority=authority).values_list("code", "pk").order_by()
        )
        self.learned = {}  # badge → account, given together on an earlier line of the file
        self.history = None  # badge → account (or AMBIGUOUS), loaded on first need

    def find(self, code: str, badge: str) -> int | str:
        """The account's id, or the reason."""
        if code:
            account_id = self.by_code.get(code)
            if account_id is None:
                return f"compte usager inconnu de la collectivité : « {shown(code)} »"
            if badge:
                self.learned[badge] = account_id
            return account_id
        account_id = self.learned.get(badge) or self._history().get(badge)
        if account_id is None:
            return (
                f"badge inconnu : « {shown(badge)} » n'a jamais été rattaché à un compte "
                "usager de la collectivité : indiquez le code usager"
            )
        if account_id is AMBIGUOUS:
            return (
                f"le badge « {shown(badge)} » a servi à plusieurs comptes usagers : "
                "indiquez le code usager"
            )
        return account_id

    def _history(self) -> dict:
        if self.history is None:
            self.history = {}
            pairs = (
                DropOff.objects.filter(authority=self.authority)
                .exclude(badge_number="")
                .values_list("badge_number", "account_id")
                .distinct()
                .order_by()
            )
            for badge, account_id in pairs:
                known = self.history.get(badge)
                self.history[badge] = account_id if known in (None, account_id) else AMBIGUOUS
        return self.history


def _dropoff_rows_import(*, authority: Authority, batch: ImportBatch, rows) -> Outcome:
    outcome = Outcome()
    dropoffs = _dropoffs(authority=authority, batch=batch, rows=rows, outcome=outcome)
    outcome.rows_imported = insert_new(DropOff, dropoffs, authority=authority, batch=batch)
    return outcome


def _dropoffs(*, authority: Authority, batch: ImportBatch, rows, outcome: Outcome):
    """The drop-offs of the good lines; the others are rejected into `outcome`."""
    now = timezone.now()
    accounts = _Accounts(authority)
    for number, fields in rows:
        outcome.rows_total += 1
        parsed = _parse(fields, now)
        if isinstance(parsed, str):
            outcome.reject(number, parsed)
            continue
        occurred_at, kind, code, badge, site, flux, amount, unit, grams = parsed
        account_id = accounts.find(code, badge)
        if isinstance(account_id, str):
            outcome.reject(number, account_id)
            continue
        yield DropOff(
            authority_id=authority.pk,
            account_id=account_id,
            kind=kind,
            occurred_at=occurred_at,
            site=site,
            flux=flux,
            quantity=None if amount is None else thousandths_decimal(amount),
            quantity_unit=unit,
            weight_grams=grams,
            badge_number=badge,
            import_batch_id=batch.pk,
        )


IMPORTER = Importer(layout=LAYOUT, rows_import=_dropoff_rows_import)
