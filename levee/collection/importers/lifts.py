"""The lift import: a CSV file of levées from the authority's trucks into `Lift` rows.

The format is described for the authorities in IMPORT_FORMAT.md. The file is read as a
stream of lines (never held whole in memory, see reading.py); every line is checked on its
own and rejected with its number and a French reason, the others go in. Importing a file
again adds nothing twice: a lift is unique by (authority, bin, lifted_at), conflicts are
ignored.

Two paths with the same results: on PostgreSQL the checked rows are COPYed into a
temporary table and inserted by one INSERT … SELECT that also resolves the bins
(the fast path, see bench/bench_lift_import.py); elsewhere (SQLite) the bins are looked up
in memory and the lifts inserted by bulk_create in chunks.
"""

import datetime
import functools

from django.db import connection
from django.utils import timezone

from levee.authorities.models import Authority

from ..models import Bin, Flux, ImportBatch, ImportKind, Lift
from .batches import REPORT_MAX_LINES, Importer, Outcome, import_file, insert_new
from .reading import CsvLayout
from .values import FLUX_CODES, flux_parse, thousandths_parse, timestamp_seconds

LAYOUT = CsvLayout(
    what="de levées", columns=("horodatage", "puce", "cuve", "flux", "poids_kg", "vehicule")
)
MAX_WEIGHT_GRAMS = 2_000_000  # 2 000 kg: no household bin weighs more
MAX_NUMBER_LENGTH = 30  # Bin.chip_number / tank_number / Lift.vehicle

# Reasons decided once the bin is known (by SQL on PostgreSQL, in Python elsewhere).
UNKNOWN_BIN = "unknown_bin"
BIN_CONFLICT = "bin_conflict"
FLUX_MISMATCH = "flux_mismatch"


def lift_import(*, authority: Authority, file, filename: str, created_by=None) -> ImportBatch:
    """Imports a CSV file of lifts for `authority` and returns its ImportBatch.

    `file` is a binary file object (an UploadedFile, a django File, an open file). The
    batch ends `done` with its counts and its rejected lines, or `failed` with a French
    `message` and nothing imported (a refused file, or an unexpected error: the import
    can then simply be run again).
    """
    return import_file(
        authority=authority,
        kind=ImportKind.LIFTS,
        file=file,
        filename=filename,
        created_by=created_by,
    )


def _lift_rows_import(*, authority: Authority, batch: ImportBatch, rows) -> Outcome:
    now = timezone.now().timestamp()
    parsed = ((number, _parse(fields, now)) for number, fields in rows)
    if connection.vendor == "postgresql":
        return _insert_postgresql(authority, batch, parsed)
    return _insert_orm(authority, batch, parsed)


def _parse(fields: tuple | str, now: float) -> tuple | str:
    """(seconds since the epoch, chip, tank, flux or "", grams, vehicle), or the reason;
    `now` in seconds since the epoch too."""
    if isinstance(fields, str):
        return fields
    stamp, chip, tank, flux, weight, vehicle = fields
    lifted_at = timestamp_seconds(stamp)
    if isinstance(lifted_at, str):
        return lifted_at
    if lifted_at > now:
        return f"date dans le futur : « {stamp} »"
    if not chip and not tank:
        return "ni n° de puce ni n° de cuve"
    if len(chip) > MAX_NUMBER_LENGTH or len(tank) > MAX_NUMBER_LENGTH:
        return f"n° de puce ou de cuve trop long ({MAX_NUMBER_LENGTH} caractères au plus)"
    grams = _grams(weight)
    if isinstance(grams, str):
        return grams
    flux = flux_parse(flux)
    if flux not in FLUX_CODES:
        return flux
    if len(vehicle) > MAX_NUMBER_LENGTH:
        return f"véhicule trop long ({MAX_NUMBER_LENGTH} caractères au plus)"
    return lifted_at, chip, tank, flux, grams, vehicle


@functools.lru_cache(maxsize=32_768)  # weights repeat (to the gram) across a million lines
def _grams(text: str) -> int | str:
    if not text:
        return "poids manquant"
    grams = thousandths_parse(text, "poids")
    if isinstance(grams, int) and grams > MAX_WEIGHT_GRAMS:
        return f"poids supérieur à 2 000 kg : « {text} »"
    return grams


def _bin_reason(code: str, flux: str, bin_flux: str) -> str:
    if code == UNKNOWN_BIN:
        return "bac inconnu : aucun bac de la collectivité n'a ce n° de puce ni ce n° de cuve"
    if code == BIN_CONFLICT:
        return "la puce et la cuve désignent deux bacs différents"
    return f"flux « {Flux(flux).label} » différent de celui du bac « {Flux(bin_flux).label} »"


# --- SQLite (and any other database): bins in memory, bulk_create in chunks ----------------


def _insert_orm(authority: Authority, batch: ImportBatch, rows) -> Outcome:
    outcome = Outcome()
    lifts = _lifts(authority=authority, batch=batch, rows=rows, outcome=outcome)
    outcome.rows_imported = insert_new(Lift, lifts, authority=authority, batch=batch)
    return outcome


def _lifts(*, authority: Authority, batch: ImportBatch, rows, outcome: Outcome):
    """The lifts of the good lines, their bin found in memory; the others are rejected into
    `outcome`."""
    by_chip, by_tank = {}, {}
    for pk, chip, tank, flux in Bin.objects.filter(authority=authority).values_list(
        "pk", "chip_number", "tank_number", "flux"
    ):
        if chip:
            by_chip[chip] = (pk, flux)
        if tank:
            by_tank[tank] = (pk, flux)
    for number, parsed in rows:
        outcome.rows_total += 1
        if isinstance(parsed, str):
            outcome.reject(number, parsed)
            continue
        lifted_at, chip, tank, flux, grams, vehicle = parsed
        chip_bin = by_chip.get(chip) if chip else None
        tank_bin = by_tank.get(tank) if tank else None
        if chip_bin and tank_bin and chip_bin[0] != tank_bin[0]:
            outcome.reject(number, _bin_reason(BIN_CONFLICT, flux, ""))
            continue
        found = chip_bin or tank_bin
        if found is None:
            outcome.reject(number, _bin_reason(UNKNOWN_BIN, flux, ""))
            continue
        if flux and flux != found[1]:
            outcome.reject(number, _bin_reason(FLUX_MISMATCH, flux, found[1]))
            continue
        yield Lift(
            authority_id=authority.pk,
            bin_id=found[0],
            lifted_at=datetime.datetime.fromtimestamp(lifted_at, tz=datetime.UTC),
            net_weight_grams=grams,
            vehicle=vehicle,
            import_batch_id=batch.pk,
        )


# --- PostgreSQL: COPY into a temporary table, one INSERT … SELECT ----------------------------

# The staged rows with their bin, found by chip or by tank among the authority's bins only.
RESOLVED_CTE = """
    WITH r AS (
        SELECT s.line, s.lifted_at, s.flux, s.grams, s.vehicle,
               COALESCE(bc.id, bt.id) AS bin_id,
               COALESCE(bc.flux, bt.flux) AS bin_flux,
               (bc.id IS NOT NULL AND bt.id IS NOT NULL AND bc.id <> bt.id) AS conflict
        FROM lift_staging s
        LEFT JOIN collection_bin bc
            ON s.chip <> '' AND bc.chip_number = s.chip AND bc.authority_id = %(authority)s
        LEFT JOIN collection_bin bt
            ON s.tank <> '' AND bt.tank_number = s.tank AND bt.authority_id = %(authority)s
    )
"""
# A line repeated in the file goes in once, the first one (as bulk_create does elsewhere).
# The rows go in the order of the unique index (the authority is the same for all): each
# bin's lifts land side by side in the index rather than all over it.
INSERT_TAIL = """
    INSERT INTO collection_lift
        (authority_id, bin_id, lifted_at, net_weight_grams, vehicle, import_batch_id)
    SELECT DISTINCT ON (r.bin_id, r.lifted_at)
           %(authority)s, r.bin_id, to_timestamp(r.lifted_at), r.grams, r.vehicle, %(batch)s
    FROM r
    WHERE r.bin_id IS NOT NULL AND NOT r.conflict AND (r.flux = '' OR r.flux = r.bin_flux)
    ORDER BY r.bin_id, r.lifted_at, r.line
    ON CONFLICT (authority_id, bin_id, lifted_at) DO NOTHING
"""
# The lines whose bin is unknown, ambiguous or of another flux: the first ones in line
# order, and how many in all (the window counts them all before the LIMIT).
REJECTED_TAIL = """
    SELECT r.line,
           CASE WHEN r.bin_id IS NULL THEN %(unknown)s
                WHEN r.conflict THEN %(conflict)s
                ELSE %(mismatch)s END,
           r.flux, r.bin_flux, count(*) OVER ()
    FROM r
    WHERE r.bin_id IS NULL OR r.conflict OR (r.flux <> '' AND r.flux <> r.bin_flux)
    ORDER BY r.line LIMIT %(limit)s
"""


def _insert_postgresql(authority: Authority, batch: ImportBatch, rows) -> Outcome:
    outcome = Outcome()
    python_rejects = []  # in line order; merged with the SQL ones below
    python_rejected = 0
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE lift_staging (line bigint, lifted_at bigint, chip text,"
            " tank text, flux text, grams integer, vehicle text) ON COMMIT DROP"
        )
        with cursor.copy(
            "COPY lift_staging (line, lifted_at, chip, tank, flux, grams, vehicle) FROM STDIN"
        ) as copy:
            write_row = copy.write_row
            for number, parsed in rows:
                outcome.rows_total += 1
                if isinstance(parsed, str):
                    python_rejected += 1
                    if len(python_rejects) < REPORT_MAX_LINES:
                        python_rejects.append((number, parsed))
                    continue
                lifted_at, chip, tank, flux, grams, vehicle = parsed
                write_row((number, lifted_at, chip, tank, flux, grams, vehicle))
        # No ANALYZE of the staged rows: the plan is the same without (hash joins on the
        # authority's bins), the planner counting the rows from the table's size.
        # Sorting a million staged rows in memory rather than on disk (this transaction only).
        cursor.execute("SET LOCAL work_mem = '256MB'")
        params = {"authority": authority.pk, "batch": batch.pk}
        cursor.execute(RESOLVED_CTE + INSERT_TAIL, params)
        outcome.rows_imported = cursor.rowcount
        cursor.execute(
            RESOLVED_CTE + REJECTED_TAIL,
            {
                **params,
                "unknown": UNKNOWN_BIN,
                "conflict": BIN_CONFLICT,
                "mismatch": FLUX_MISMATCH,
                "limit": REPORT_MAX_LINES,
            },
        )
        found = cursor.fetchall()
        sql_rejected = found[0][4] if found else 0
        sql_rejects = [
            (line, _bin_reason(code, flux, bin_flux)) for line, code, flux, bin_flux, _ in found
        ]
        cursor.execute("DROP TABLE lift_staging")
    outcome.rows_rejected = python_rejected + sql_rejected
    outcome.rejects = sorted(python_rejects + sql_rejects)[:REPORT_MAX_LINES]
    return outcome


IMPORTER = Importer(layout=LAYOUT, rows_import=_lift_rows_import)
