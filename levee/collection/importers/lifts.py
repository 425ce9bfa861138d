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
from .reading import MAX_LINE_BYTES, TOO_LONG_REASON, CsvLayout, CsvRows, columns_reason
from .values import (
    FLUX_CODES,
    PARIS,
    flux_parse,
    thousandths_parse,
    timestamp_parse,
    timestamp_seconds,
)

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


def _lift_rows_import(*, authority: Authority, batch: ImportBatch, rows: CsvRows) -> Outcome:
    if connection.vendor == "postgresql" and connection.pg_version >= 150000:
        return _insert_postgresql(authority, batch, rows)
    return _insert_orm(authority, batch, rows)


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
        return _future(stamp)
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


def _future(stamp: str) -> str:
    return f"date dans le futur : « {stamp} »"


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
    now = timezone.now().timestamp()
    parsed = ((number, _parse(fields, now)) for number, fields in rows)
    lifts = _lifts(authority=authority, batch=batch, rows=parsed, outcome=outcome)
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


# --- PostgreSQL: the lines COPYed as they are, checked and inserted by SQL ------------------
#
# The file's lines go into a temporary table by COPY, a read (1 MiB) at a time, without
# Python work per line (reading.CsvRows.copy_rows). One statement then splits and checks
# them all, the same checks as _parse with the same reasons, and finds their bins
# (lift_parsed); the flux, few distinct values, are read by flux_parse; one INSERT … SELECT
# … ON CONFLICT DO NOTHING inserts the good lines, one query lists the rejected ones.

# Python's str.strip() and bytes.isspace(): what the fields and a blank line are trimmed of.
STRIPPED = "".join(chr(c) for c in range(0x3001) if chr(c).isspace())
BLANK = " \t\n\r\x0b\x0c"
TIMESTAMP_PATTERN = (
    "^([0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{2}/[0-9]{2}/[0-9]{4})[ T][0-9]{2}:[0-9]{2}(:[0-9]{2})?$"
)
WEIGHT_PATTERN = "^[0-9]{1,9}([.,][0-9]{1,3})?$"  # what thousandths_parse reads
DECIMAL_PATTERN = "^[0-9]{1,9}([.,][0-9]+)?$"  # values.DECIMAL_RE

# Each line with its reason, or its values and its bin. The LATERAL steps (OFFSET 0: each
# computed once, not inlined where used) follow _parse; the raw line is split in SQL, a
# line Python split (quotes) comes with its fields, a line Python rejected with its reason.
PARSE = """
CREATE TEMP TABLE lift_parsed ON COMMIT DROP AS
SELECT s.line, v.reason, CASE WHEN v.reason IS NULL THEN t.lifted_at END AS lifted_at,
       c.flux, v.grams, c.vehicle,
       COALESCE(bc.id, bt.id) AS bin_id, COALESCE(bc.flux, bt.flux) AS bin_flux,
       (bc.id IS NOT NULL AND bt.id IS NOT NULL AND bc.id <> bt.id) AS conflict
FROM lift_raw s
CROSS JOIN LATERAL (
    SELECT CASE WHEN right(s.raw, 1) = E'\\r' THEN left(s.raw, -1) ELSE s.raw END AS raw,
           octet_length(s.raw) > %(max_line)s AS too_long
    OFFSET 0
) a
CROSS JOIN LATERAL (
    SELECT COALESCE(s.fields, string_to_array(a.raw, %(separator)s)) AS f OFFSET 0
) b
CROSS JOIN LATERAL (
    SELECT btrim(b.f[%(stamp)s], %(stripped)s) AS stamp,
           btrim(b.f[%(chip)s], %(stripped)s) AS chip,
           btrim(b.f[%(tank)s], %(stripped)s) AS tank,
           btrim(b.f[%(flux)s], %(stripped)s) AS flux,
           btrim(b.f[%(weight)s], %(stripped)s) AS weight,
           btrim(b.f[%(vehicle)s], %(stripped)s) AS vehicle
    OFFSET 0
) c
CROSS JOIN LATERAL (
    SELECT c.stamp ~ %(timestamp_pattern)s AS stamp_ok, c.weight ~ %(weight_pattern)s AS weight_ok
    OFFSET 0
) d
CROSS JOIN LATERAL (  -- the positions the pattern fixes: JJ/MM/AAAA or AAAA-MM-JJ, HH:MM:SS
    SELECT CASE WHEN d.stamp_ok THEN
               CASE WHEN substr(c.stamp, 3, 1) = '/' THEN substr(c.stamp, 7, 4)
                    ELSE substr(c.stamp, 1, 4) END::int END AS y,
           CASE WHEN d.stamp_ok THEN
               CASE WHEN substr(c.stamp, 3, 1) = '/' THEN substr(c.stamp, 4, 2)
                    ELSE substr(c.stamp, 6, 2) END::int END AS mo,
           CASE WHEN d.stamp_ok THEN
               CASE WHEN substr(c.stamp, 3, 1) = '/' THEN substr(c.stamp, 1, 2)
                    ELSE substr(c.stamp, 9, 2) END::int END AS dd,
           CASE WHEN d.stamp_ok THEN substr(c.stamp, 12, 2)::int END AS hh,
           CASE WHEN d.stamp_ok THEN substr(c.stamp, 15, 2)::int END AS mi,
           CASE WHEN d.stamp_ok THEN COALESCE(NULLIF(substr(c.stamp, 18, 2), ''), '0')::int
           END AS ss,
           CASE WHEN d.weight_ok THEN
               split_part(translate(c.weight, ',', '.'), '.', 1)::int * 1000
               + rpad(split_part(translate(c.weight, ',', '.'), '.', 2), 3, '0')::int
           END AS grams
    OFFSET 0
) e
CROSS JOIN LATERAL (
    SELECT CASE WHEN e.y >= 1 AND e.mo BETWEEN 1 AND 12 AND e.dd >= 1
                     AND e.dd <= CASE WHEN e.mo IN (4, 6, 9, 11) THEN 30
                                      WHEN e.mo <> 2 THEN 31
                                      WHEN e.y %% 4 = 0 AND (e.y %% 100 <> 0 OR e.y %% 400 = 0)
                                      THEN 29 ELSE 28 END
                     AND e.hh <= 23 AND e.mi <= 59 AND e.ss <= 59
                THEN make_timestamp(e.y, e.mo, e.dd, e.hh, e.mi, e.ss) END AS local
    OFFSET 0
) l
CROSS JOIN LATERAL (  -- Paris time; in the hour of autumn that comes twice, the first one
    SELECT CASE WHEN (l.local AT TIME ZONE %(zone)s - interval '1 hour') AT TIME ZONE %(zone)s
                     = l.local
                THEN l.local AT TIME ZONE %(zone)s - interval '1 hour'
                ELSE l.local AT TIME ZONE %(zone)s END AS lifted_at
    OFFSET 0
) t
CROSS JOIN LATERAL (
    SELECT CASE
        WHEN s.reason IS NOT NULL THEN s.reason
        WHEN s.fields IS NULL AND a.too_long THEN %(too_long)s
        WHEN cardinality(b.f) <> %(width)s
            THEN %(columns_before)s || cardinality(b.f) || %(columns_after)s
        WHEN NOT d.stamp_ok THEN %(invalid_before)s || {shown_stamp} || %(invalid_after)s
        WHEN l.local IS NULL THEN %(impossible_before)s || c.stamp || %(impossible_after)s
        WHEN t.lifted_at > %(now)s THEN %(future_before)s || c.stamp || %(future_after)s
        WHEN c.chip = '' AND c.tank = '' THEN %(no_number)s
        WHEN char_length(c.chip) > %(max_number)s OR char_length(c.tank) > %(max_number)s
            THEN %(number_too_long)s
        WHEN c.weight = '' THEN %(no_weight)s
        WHEN d.weight_ok AND e.grams > %(max_grams)s
            THEN %(too_heavy_before)s || c.weight || %(too_heavy_after)s
        WHEN d.weight_ok THEN NULL
        WHEN c.weight LIKE '-%%' AND btrim(substr(c.weight, 2), %(stripped)s) ~ %(decimal)s
            THEN %(negative_before)s || {shown_weight} || %(negative_after)s
        WHEN c.weight ~ %(decimal)s THEN %(decimals_before)s || c.weight || %(decimals_after)s
        ELSE %(not_a_number_before)s || {shown_weight} || %(not_a_number_after)s
    END AS reason, CASE WHEN d.weight_ok THEN e.grams END AS grams
    OFFSET 0
) v
LEFT JOIN collection_bin bc
    ON v.reason IS NULL AND c.chip <> '' AND bc.chip_number = c.chip
    AND bc.authority_id = %(authority)s
LEFT JOIN collection_bin bt
    ON v.reason IS NULL AND c.tank <> '' AND bt.tank_number = c.tank
    AND bt.authority_id = %(authority)s
WHERE s.fields IS NOT NULL OR s.reason IS NOT NULL OR a.too_long
    OR btrim(a.raw, %(blank)s) <> ''
"""


def _shown_sql(column: str) -> str:
    """reading.shown() in SQL."""
    return (
        f"CASE WHEN char_length({column}) <= {SHOWN} THEN {column}"
        f" ELSE left({column}, {SHOWN - 1}) || '…' END"
    )


SHOWN = 60  # reading.shown()'s limit
PARSE = PARSE.format(shown_stamp=_shown_sql("c.stamp"), shown_weight=_shown_sql("c.weight"))

# The lines checked whole; the flux as flux_parse read them (x: text, code, reason, from
# three arrays). A line repeated in the file goes in once, the first one (as
# bulk_create does elsewhere). The rows go in the order of the unique index (the
# authority is the same for all): each bin's lifts land side by side in the index.
INSERT = """
    WITH x AS (
        SELECT * FROM unnest(%(flux_texts)s::text[], %(flux_codes)s::text[],
                             %(flux_reasons)s::text[]) AS x (text, code, reason)
    )
    INSERT INTO collection_lift
        (authority_id, bin_id, lifted_at, net_weight_grams, vehicle, import_batch_id)
    SELECT DISTINCT ON (p.bin_id, p.lifted_at)
           %(authority)s, p.bin_id, p.lifted_at, p.grams, p.vehicle, %(batch)s
    FROM lift_parsed p JOIN x ON x.text = p.flux
    WHERE p.reason IS NULL AND x.reason IS NULL AND char_length(p.vehicle) <= %(max_number)s
          AND p.bin_id IS NOT NULL AND NOT p.conflict AND (x.code = '' OR x.code = p.bin_flux)
    ORDER BY p.bin_id, p.lifted_at, p.line
    ON CONFLICT (authority_id, bin_id, lifted_at) DO NOTHING
"""
# The rejected lines: the first ones in line order, and how many in all (the window counts
# them all before the LIMIT). The reason, or the code of the bin's one and its flux.
REJECTED = """
    WITH x AS (
        SELECT * FROM unnest(%(flux_texts)s::text[], %(flux_codes)s::text[],
                             %(flux_reasons)s::text[]) AS x (text, code, reason)
    )
    SELECT p.line,
           COALESCE(p.reason, x.reason,
                    CASE WHEN char_length(p.vehicle) > %(max_number)s THEN %(vehicle_too_long)s
                    END),
           CASE WHEN p.bin_id IS NULL THEN %(unknown)s
                WHEN p.conflict THEN %(conflict)s
                ELSE %(mismatch)s END,
           x.code, p.bin_flux, count(*) OVER ()
    FROM lift_parsed p LEFT JOIN x ON x.text = p.flux
    WHERE p.reason IS NOT NULL OR x.reason IS NOT NULL
          OR char_length(p.vehicle) > %(max_number)s OR p.bin_id IS NULL OR p.conflict
          OR (x.code <> '' AND x.code <> p.bin_flux)
    ORDER BY p.line LIMIT %(limit)s
"""


def _around(name: str, reason: str, value: str) -> dict:
    """What a reason says before and after the value it quotes: PARSE's parameters
    `<name>_before` and `<name>_after`."""
    before, found, after = reason.partition(value)
    assert found, (reason, value)
    return {f"{name}_before": before, f"{name}_after": after}


def _parse_params(rows: CsvRows) -> dict:
    """The parameters of PARSE: the file's separator and columns, and every reason of _parse
    as Python words it (the value it quotes in between)."""
    order = dict(zip(LAYOUT.columns, rows.order, strict=True))
    value = "\x01"
    return {
        "separator": rows.separator,
        "width": rows.width,
        "stamp": order["horodatage"] + 1,
        "chip": order["puce"] + 1,
        "tank": order["cuve"] + 1,
        "flux": order["flux"] + 1,
        "weight": order["poids_kg"] + 1,
        "vehicle": order["vehicule"] + 1,
        "max_line": MAX_LINE_BYTES + 1,
        "stripped": STRIPPED,
        "blank": BLANK,
        "timestamp_pattern": TIMESTAMP_PATTERN,
        "weight_pattern": WEIGHT_PATTERN,
        "decimal": DECIMAL_PATTERN,
        "zone": PARIS.key,
        "now": timezone.now(),
        "max_number": MAX_NUMBER_LENGTH,
        "max_grams": MAX_WEIGHT_GRAMS,
        "too_long": TOO_LONG_REASON,
        **_around("columns", columns_reason(value, rows.width), value),
        **_around("invalid", timestamp_parse(value), value),
        **_around("impossible", timestamp_parse("2023-02-29 00:00"), "2023-02-29 00:00"),
        **_around("future", _future(value), value),
        "no_number": _parse(("2024-01-01 00:00", "", "", "", "1", ""), 2e9),
        "number_too_long": _parse(("2024-01-01 00:00", "x" * 99, "", "", "1", ""), 2e9),
        "no_weight": _grams(""),
        **_around("too_heavy", _grams("9999"), "9999"),
        **_around("negative", _grams("-1"), "-1"),
        **_around("decimals", _grams("1.2345"), "1.2345"),
        **_around("not_a_number", _grams(value), value),
    }


def _insert_postgresql(authority: Authority, batch: ImportBatch, rows: CsvRows) -> Outcome:
    outcome = Outcome()
    rows.header()  # a refused file is refused before anything is written
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE lift_raw (line bigint GENERATED ALWAYS AS IDENTITY (START 2),"
            " raw text, fields text[], reason text) ON COMMIT DROP"
        )
        with cursor.copy("COPY lift_raw (raw, fields, reason) FROM STDIN") as copy:
            for block in rows.copy_rows():
                copy.write(block)
        # Sorting a million rows in memory rather than on disk (this transaction only).
        cursor.execute("SET LOCAL work_mem = '256MB'")
        cursor.execute(PARSE, {**_parse_params(rows), "authority": authority.pk})
        outcome.rows_total = cursor.rowcount
        cursor.execute("DROP TABLE lift_raw")
        cursor.execute("SELECT DISTINCT flux FROM lift_parsed WHERE reason IS NULL")
        texts = [text for (text,) in cursor.fetchall()]
        parsed = [flux_parse(text) for text in texts]
        params = {
            "authority": authority.pk,
            "batch": batch.pk,
            "max_number": MAX_NUMBER_LENGTH,
            "flux_texts": texts,
            "flux_codes": [code if code in FLUX_CODES else None for code in parsed],
            "flux_reasons": [None if code in FLUX_CODES else code for code in parsed],
        }
        cursor.execute(INSERT, params)
        outcome.rows_imported = cursor.rowcount
        cursor.execute(
            REJECTED,
            {
                **params,
                "vehicle_too_long": _parse(("2024-01-01 00:00", "x", "", "", "1", "x" * 99), 2e9),
                "unknown": UNKNOWN_BIN,
                "conflict": BIN_CONFLICT,
                "mismatch": FLUX_MISMATCH,
                "limit": REPORT_MAX_LINES,
            },
        )
        found = cursor.fetchall()
        cursor.execute("DROP TABLE lift_parsed")
    outcome.rows_rejected = found[0][5] if found else 0
    outcome.rejects = [
        (line, reason or _bin_reason(code, flux, bin_flux))
        for line, reason, code, flux, bin_flux, _ in found
    ]
    return outcome


IMPORTER = Importer(layout=LAYOUT, rows_import=_lift_rows_import)
