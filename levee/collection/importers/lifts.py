"""The lift import: a CSV file of levées from the authority's trucks into `Lift` rows.

The format is described for the authorities in IMPORT_FORMAT.md. The file is read as a
stream of lines (never held whole in memory, see reading.py); every line is checked on its
own and rejected with its number and a French reason, the others go in. Importing a file
again adds nothing twice: a lift is unique by (authority, bin, lifted_at), conflicts are
ignored; and a lift an agent cancelled (an accepted contest, `CancelledLift`) stays
cancelled: its line is counted with the lines already there.

Two paths with the same results (test_lift_import_paths.py): on PostgreSQL the lines are
COPYed as they are and checked, resolved and inserted by SQL, Python reading only their
distinct values (see the PostgreSQL section below and bench/bench_lift_import.py);
elsewhere (SQLite), and on a PostgreSQL database not encoded in UTF-8, every line is
checked in Python, the bins looked up in memory and the lifts inserted by bulk_create in
chunks.
"""

import datetime
import functools

from django.db import connection
from django.utils import timezone

from levee.authorities.models import Authority

from ..models import Bin, CancelledLift, Flux, ImportBatch, ImportKind, Lift
from .batches import REPORT_MAX_LINES, Importer, Outcome, import_file, insert_new
from .reading import MAX_LINE_BYTES, TOO_LONG_REASON, CsvLayout, CsvRows, columns_reason, shown
from .values import (
    FLUX_CODES,
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

CANCELLED_LABEL = "Lignes de levées annulées (contestation acceptée)"


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
    # The SQL path measures a line's length in the database's bytes, and hands it any
    # character a file may hold: both need a UTF-8 database (PostgreSQL's usual one).
    if (
        connection.vendor == "postgresql"
        and connection.connection.info.parameter_status("server_encoding") == "UTF8"
    ):
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
        return f"poids supérieur à 2 000 kg : « {shown(text)} »"
    return grams


def _summary(cancelled: int) -> list:
    """What the batch says beside its counts: the lines of lifts an agent cancelled, which
    count among « Lignes déjà présentes » (imported before, and left out)."""
    return [[CANCELLED_LABEL, cancelled]] if cancelled else []


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
    `outcome`, and the lifts an agent cancelled left out (counted in its summary)."""
    by_chip, by_tank = {}, {}
    for pk, chip, tank, flux in Bin.objects.filter(authority=authority).values_list(
        "pk", "chip_number", "tank_number", "flux"
    ):
        if chip:
            by_chip[chip] = (pk, flux)
        if tank:
            by_tank[tank] = (pk, flux)
    cancelled_keys = set(
        CancelledLift.objects.filter(authority=authority).values_list("bin_id", "lifted_at")
    )
    cancelled = 0
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
        lifted_at = datetime.datetime.fromtimestamp(lifted_at, tz=datetime.UTC)
        if (found[0], lifted_at) in cancelled_keys:
            cancelled += 1
            continue
        yield Lift(
            authority_id=authority.pk,
            bin_id=found[0],
            lifted_at=lifted_at,
            net_weight_grams=grams,
            vehicle=vehicle,
            import_batch_id=batch.pk,
        )
    # Reached once insert_new has read every line.
    outcome.summary = _summary(cancelled)


# --- PostgreSQL: the lines COPYed as they are, checked and inserted by SQL ------------------
#
# The file's lines go into a temporary table by COPY, a read (1 MiB) at a time, without
# Python work per line (reading.CsvRows.copy_rows). SQL splits them into their fields
# (lift_fields). The values that need parsing repeat across a million lines: the distinct
# minutes (« JJ/MM/AAAA HH:MM »), weights and flux, a few thousands, are read by the same
# Python functions as on the other path (the same values, the same reasons) and joined
# back, with the bins, in one statement (lift_checked). One INSERT … SELECT … ON CONFLICT
# DO NOTHING inserts the good lines, one query lists the rejected ones.

# Python's str.strip() and bytes.isspace(): what the fields and a blank line are trimmed of.
STRIPPED = "".join(chr(c) for c in range(0x3001) if chr(c).isspace())
BLANK = " \t\n\r\x0b\x0c"
MINUTE = 16  # len("JJ/MM/AAAA HH:MM"); « :SS » may follow (values.timestamp_seconds)
INVALID, IMPOSSIBLE = "invalid", "impossible"
MINUTE_KIND, WEIGHT_KIND, FLUX_KIND = 3, 5, 6  # GROUPING() of DISTINCT
VALUES_BATCH = 10_000

# Each line after the header, blank ones left out: its fields, stripped, in the layout's
# order; or the reason reading rejects it (too long, a NUL, quotes, its number of columns).
FIELDS = """
CREATE TEMP TABLE lift_fields ON COMMIT DROP AS
SELECT s.line,
       CASE WHEN s.reason IS NOT NULL THEN s.reason
            WHEN s.too_long THEN %(too_long)s
            WHEN cardinality(s.f) <> %(width)s
                THEN %(columns_before)s || cardinality(s.f) || %(columns_after)s
       END AS reason,
       {stamp} AS stamp, {chip} AS chip, {tank} AS tank, {flux} AS flux, {weight} AS weight,
       {vehicle} AS vehicle
FROM (
    SELECT line, reason, fields IS NULL AND octet_length(raw) > %(max_line)s AS too_long,
           COALESCE(fields, string_to_array(
               CASE WHEN right(raw, 1) = E'\\r' THEN left(raw, -1) ELSE raw END, %(separator)s
           )) AS f
    FROM lift_raw
    OFFSET 0
) s
WHERE s.reason IS NOT NULL OR s.too_long OR cardinality(s.f) > 1
      OR btrim(COALESCE(s.f[1], ''), %(blank)s) <> ''
"""


def _fields_sql(padded: bool) -> str:
    """FIELDS, its fields trimmed as str.strip() does when some may need it."""
    trim = "btrim(s.f[%({})s], %(stripped)s)" if padded else "s.f[%({})s]"
    return FIELDS.format(**{name: trim.format(name) for name in FIELD_NAMES})


# The distinct minutes, weights and flux of the lines not rejected yet (GROUPING tells
# which: MINUTE_KIND, WEIGHT_KIND, FLUX_KIND), read in batches by a server-side cursor; what
# Python reads of them goes back into lift_values by COPY, a batch at a time: a file of
# many distinct minutes does not make the import's memory grow.
DISTINCT = """
SELECT GROUPING(minute, weight, flux), COALESCE(minute, weight, flux)
FROM (
    SELECT CASE WHEN char_length(stamp) IN (%(minute)s, %(minute)s + 3)
                THEN left(stamp, %(minute)s) END AS minute,
           weight, flux
    FROM lift_fields WHERE reason IS NULL
) f
GROUP BY GROUPING SETS ((minute), (weight), (flux))
"""
# One statement checks the lines, inserts the good ones and lists the rejected ones, the
# checked lines kept in memory in between (MATERIALIZED) rather than written to a table.
#
# checked: each line with its reason or its values, and its bin, found by chip or by tank
# among the authority's bins only. The reasons in _parse's order. The values as Python read
# them (m: a minute's first second, or why it is not one; sec: « :SS » read; w: a weight
# in grams or why not; x: a flux). A line's reason is None when only its bin rejects it.
#
# inserted: the lines checked whole. A line repeated in the file goes in once, the first
# one (as bulk_create does elsewhere); a lift already there is left as it is (ON CONFLICT,
# which also makes two imports of the same file at once add each lift once), and a lift
# an agent cancelled (CancelledLift, the same bin and time) is not brought back. The rows
# go in the order of the unique index (the authority is the same for all): each bin's lifts
# land side by side in the index.
#
# Then a row (line NULL) with the number of lifts inserted and the number of lines of
# cancelled lifts, and the rejected lines: the first ones in line order, and how many in
# all (the window counts them all before the LIMIT), with their reason, or the code of
# their bin's one and the flux.
IMPORT = """
WITH m AS (
    SELECT text, number AS start, reason FROM lift_values WHERE kind = %(minute_kind)s
), sec AS (
    SELECT * FROM unnest(%(second_texts)s::text[], %(second_values)s::int[]) AS sec (text, value)
), w AS (
    SELECT text, number AS grams, reason FROM lift_values WHERE kind = %(weight_kind)s
), x AS (
    SELECT text, code, reason FROM lift_values WHERE kind = %(flux_kind)s
), checked AS MATERIALIZED (
    SELECT p.line,
           CASE WHEN p.reason IS NOT NULL THEN p.reason
                WHEN m.start IS NULL AND m.reason IS NULL OR m.reason = %(invalid)s
                     OR sec.value IS NULL
                    THEN %(invalid_before)s || {shown_stamp} || %(invalid_after)s
                WHEN m.reason = %(impossible)s OR sec.value > 59
                    THEN %(impossible_before)s || p.stamp || %(impossible_after)s
                WHEN m.start + sec.value > %(now)s
                    THEN %(future_before)s || p.stamp || %(future_after)s
                WHEN p.chip = '' AND p.tank = '' THEN %(no_number)s
                WHEN char_length(p.chip) > %(max_number)s OR char_length(p.tank) > %(max_number)s
                    THEN %(number_too_long)s
                WHEN w.reason IS NOT NULL THEN w.reason
                WHEN x.reason IS NOT NULL THEN x.reason
                WHEN char_length(p.vehicle) > %(max_number)s THEN %(vehicle_too_long)s
           END AS reason,
           to_timestamp(m.start + sec.value) AS lifted_at, w.grams, p.vehicle, x.code AS flux,
           COALESCE(bc.id, bt.id) AS bin_id, COALESCE(bc.flux, bt.flux) AS bin_flux,
           (bc.id IS NOT NULL AND bt.id IS NOT NULL AND bc.id <> bt.id) AS conflict,
           cl.id IS NOT NULL AS cancelled
    FROM lift_fields p
    LEFT JOIN m ON m.text = left(p.stamp, %(minute)s)
        AND char_length(p.stamp) IN (%(minute)s, %(minute)s + 3)
    LEFT JOIN sec ON sec.text = substr(p.stamp, %(minute)s + 1)
    LEFT JOIN w ON w.text = p.weight
    LEFT JOIN x ON x.text = p.flux
    -- « <> '' » on the bins' side too: a line without tank would otherwise probe the hash
    -- bucket of every bin without one (all of an authority that numbers no tank).
    LEFT JOIN collection_bin bc
        ON p.chip <> '' AND bc.chip_number = p.chip AND bc.chip_number <> ''
        AND bc.authority_id = %(authority)s
    LEFT JOIN collection_bin bt
        ON p.tank <> '' AND bt.tank_number = p.tank AND bt.tank_number <> ''
        AND bt.authority_id = %(authority)s
    LEFT JOIN collection_cancelledlift cl
        ON cl.authority_id = %(authority)s AND cl.bin_id = COALESCE(bc.id, bt.id)
        AND cl.lifted_at = to_timestamp(m.start + sec.value)
), inserted AS (
    INSERT INTO collection_lift
        (authority_id, bin_id, lifted_at, net_weight_grams, vehicle, import_batch_id)
    SELECT DISTINCT ON (c.bin_id, c.lifted_at)
           %(authority)s, c.bin_id, c.lifted_at, c.grams, c.vehicle, %(batch)s
    FROM checked c
    WHERE c.reason IS NULL AND c.bin_id IS NOT NULL AND NOT c.conflict
          AND (c.flux = '' OR c.flux = c.bin_flux) AND NOT c.cancelled
    ORDER BY c.bin_id, c.lifted_at, c.line
    ON CONFLICT (authority_id, bin_id, lifted_at) DO NOTHING
    RETURNING 1
)
SELECT NULL, NULL, NULL, NULL, NULL, (SELECT count(*) FROM inserted),
       (SELECT count(*) FROM checked c
        WHERE c.cancelled AND c.reason IS NULL AND NOT c.conflict
              AND (c.flux = '' OR c.flux = c.bin_flux))
UNION ALL (
    SELECT line, reason,
           CASE WHEN bin_id IS NULL THEN %(unknown)s
                WHEN conflict THEN %(conflict)s
                ELSE %(mismatch)s END,
           flux, bin_flux, count(*) OVER (), NULL
    FROM checked
    WHERE reason IS NOT NULL OR bin_id IS NULL OR conflict OR (flux <> '' AND flux <> bin_flux)
    ORDER BY line LIMIT %(limit)s
)
"""
IMPORT = IMPORT.format(
    shown_stamp="CASE WHEN char_length(p.stamp) <= 60 THEN p.stamp"
    " ELSE left(p.stamp, 59) || '…' END"  # reading.shown()
)


def _around(name: str, reason: str, value: str) -> dict:
    """What a reason says before and after the value it quotes: the parameters
    `<name>_before` and `<name>_after`."""
    before, found, after = reason.partition(value)
    assert found, (reason, value)
    return {f"{name}_before": before, f"{name}_after": after}


def _fields_params(rows: CsvRows) -> dict:
    order = dict(zip(LAYOUT.columns, rows.order, strict=True))
    return {
        "separator": rows.separator,
        "width": rows.width,
        **{
            name: order[column] + 1
            for name, column in zip(FIELD_NAMES, LAYOUT.columns, strict=True)
        },
        "max_line": MAX_LINE_BYTES + 1,
        "too_long": TOO_LONG_REASON,
        **_around("columns", columns_reason("\x01", rows.width), "\x01"),
        "stripped": STRIPPED,
        "blank": BLANK,
    }


FIELD_NAMES = ("stamp", "chip", "tank", "flux", "weight", "vehicle")  # LAYOUT.columns'


def _minute(text: str) -> tuple[int | None, str | None]:
    """A minute's first second since the epoch, or why it is not one (INVALID, IMPOSSIBLE):
    what values.timestamp_seconds reads of a timestamp's first 16 characters."""
    start = timestamp_parse(text)
    if isinstance(start, str):
        return None, IMPOSSIBLE if start.startswith(IMPOSSIBLE_REASON) else INVALID
    return int(start.timestamp()), None


IMPOSSIBLE_REASON = timestamp_parse("2023-02-29 00:00").partition("«")[0]  # « date impossible »


def _value(kind: int, text: str) -> tuple:
    """(kind, text, number, code, reason): what Python reads of a distinct value, a row of
    lift_values."""
    if kind == MINUTE_KIND:
        start, reason = _minute(text)
        return kind, text, start, None, reason
    if kind == WEIGHT_KIND:
        grams = _grams(text)
        if isinstance(grams, str):
            return kind, text, None, None, grams
        return kind, text, grams, None, None
    code = flux_parse(text)
    if code in FLUX_CODES:
        return kind, text, None, code, None
    return kind, text, None, None, code


def _values_load(cursor) -> None:
    """Reads the distinct values of lift_fields with Python into lift_values."""
    cursor.execute(
        "CREATE TEMP TABLE lift_values (kind smallint, text text, number bigint, code text,"
        " reason text) ON COMMIT DROP"
    )
    with connection.chunked_cursor() as distinct:
        distinct.execute(DISTINCT, {"minute": MINUTE})
        while batch := distinct.fetchmany(VALUES_BATCH):
            with cursor.copy(
                "COPY lift_values (kind, text, number, code, reason) FROM STDIN"
            ) as copy:
                for kind, text in batch:
                    if text is not None:  # a line whose timestamp has no minute
                        copy.write_row(_value(kind, text))
    cursor.execute("ANALYZE lift_values")


def _check_params() -> dict:
    """IMPORT's parameters: every other reason of _parse as it words them (the value it
    quotes in between)."""
    seconds = [""] + [f":{n:02d}" for n in range(100)]  # len 16, or « :SS » of 0 to 99
    sample = "2024-01-01 00:00"
    return {
        "minute": MINUTE,
        "minute_kind": MINUTE_KIND,
        "weight_kind": WEIGHT_KIND,
        "flux_kind": FLUX_KIND,
        "second_texts": seconds,
        "second_values": [int(s[1:] or 0) for s in seconds],
        "invalid": INVALID,
        "impossible": IMPOSSIBLE,
        **_around("invalid", timestamp_parse("\x01"), "\x01"),
        **_around("impossible", timestamp_parse("2023-02-29 00:00"), "2023-02-29 00:00"),
        **_around("future", _future("\x01"), "\x01"),
        "now": timezone.now().timestamp(),
        "max_number": MAX_NUMBER_LENGTH,
        "no_number": _parse((sample, "", "", "", "1", ""), 2e9),
        "number_too_long": _parse((sample, "x" * 99, "", "", "1", ""), 2e9),
        "vehicle_too_long": _parse((sample, "x", "", "", "1", "x" * 99), 2e9),
    }


def _insert_postgresql(authority: Authority, batch: ImportBatch, rows: CsvRows) -> Outcome:
    outcome = Outcome()
    rows.header()  # a refused file is refused before anything is written
    with connection.cursor() as cursor:
        # For this transaction only: sorting a million rows in memory rather than on disk;
        # hash joins of the lines with the small tables of values and bins, rather than
        # sorting the lines for a merge join.
        cursor.execute("SET LOCAL work_mem = '256MB'")
        cursor.execute("SET LOCAL enable_mergejoin = off")
        cursor.execute(
            "CREATE TEMP TABLE lift_raw (line bigint GENERATED ALWAYS AS IDENTITY (START 2),"
            " raw text, fields text[], reason text) ON COMMIT DROP"
        )
        with cursor.copy("COPY lift_raw (raw, fields, reason) FROM STDIN") as copy:
            for block in rows.copy_rows():
                copy.write(block)
        cursor.execute(_fields_sql(rows.padded), _fields_params(rows))
        outcome.rows_total = cursor.rowcount
        cursor.execute("DROP TABLE lift_raw")
        _values_load(cursor)
        params = {
            **_check_params(),
            "authority": authority.pk,
            "batch": batch.pk,
            "unknown": UNKNOWN_BIN,
            "conflict": BIN_CONFLICT,
            "mismatch": FLUX_MISMATCH,
            "limit": REPORT_MAX_LINES,
        }
        cursor.execute(IMPORT, params)
        found = cursor.fetchall()
        cursor.execute("DROP TABLE lift_fields, lift_values")
    outcome.rows_imported, cancelled = next(row[5:] for row in found if row[0] is None)
    rejects = sorted(row for row in found if row[0] is not None)
    outcome.rows_rejected = rejects[0][5] if rejects else 0
    outcome.rejects = [
        (line, reason or _bin_reason(code, flux, bin_flux))
        for line, reason, code, flux, bin_flux, _, _ in rejects
    ]
    outcome.summary = _summary(cancelled)
    return outcome


IMPORTER = Importer(layout=LAYOUT, rows_import=_lift_rows_import)
