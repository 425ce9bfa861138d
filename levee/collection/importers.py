"""The lift import: a CSV file of levées from the authority's trucks into `Lift` rows.

The format is described for the authorities in IMPORT_FORMAT.md. The file is read as a
stream of lines (never held whole in memory); every line is checked on its own and
rejected with its number and a French reason, the others go in. Importing a file again
adds nothing twice: a lift is unique by (bin, lifted_at), conflicts are ignored.

Two paths with the same results: on PostgreSQL the checked rows are COPYed into a
temporary table and inserted by one INSERT … SELECT that also resolves the bins
(the fast path, see bench/bench_lift_import.py); elsewhere (SQLite) the bins are looked up
in memory and the lifts inserted by bulk_create in chunks.
"""

import csv
import datetime
import functools
import io
import logging
import re
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from levee.authorities.models import Authority
from levee.lib.text import fold_compact

from .models import Flux, ImportBatch, ImportKind, ImportStatus, Lift

logger = logging.getLogger(__name__)

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
COLUMNS = ("horodatage", "puce", "cuve", "flux", "poids_kg", "vehicule")
EXPECTED_HEADER = ";".join(COLUMNS)
READ_SIZE = 1024 * 1024
SNIFF_SIZE = 8 * 1024
MAX_LINE_BYTES = 4096
MAX_WEIGHT_GRAMS = 2_000_000  # 2 000 kg: no household bin weighs more
MAX_NUMBER_LENGTH = 30  # Bin.chip_number / tank_number / Lift.vehicle
CHUNK_SIZE = 5000
# The rejected lines kept in the report (all are counted): a wrong 1,000,000-line file must
# not become a 50 MB text column.
REPORT_MAX_LINES = 50_000

WEIGHT_RE = re.compile(r"(\d{1,9})(?:[.,](\d+))?")

# What the trucks' software writes in the flux column, folded (case, accents, spaces).
FLUX_ALIASES = {
    "om": Flux.ORDURES_MENAGERES,
    "omr": Flux.ORDURES_MENAGERES,
    "ordures": Flux.ORDURES_MENAGERES,
    "orduresmenageresresiduelles": Flux.ORDURES_MENAGERES,
    "emballages": Flux.RECYCLABLES,
    "cs": Flux.RECYCLABLES,
    "collecteselective": Flux.RECYCLABLES,
    "bio": Flux.BIODECHETS,
    "papiers": Flux.PAPIER,
}
FLUX_KEYS = {
    **{fold_compact(f.value): f.value for f in Flux},
    **{fold_compact(f.label): f.value for f in Flux},
    **{k: v.value for k, v in FLUX_ALIASES.items()},
}

# Reasons decided once the bin is known (by SQL on PostgreSQL, in Python elsewhere).
UNKNOWN_BIN = "unknown_bin"
BIN_CONFLICT = "bin_conflict"
FLUX_MISMATCH = "flux_mismatch"


BINARY = "Ce fichier n'est pas un fichier texte CSV (contenu binaire) : rien n'a été importé."


class FileRefused(Exception):
    """The whole file is refused: nothing is imported. The message is shown as is."""


@dataclass
class _Outcome:
    rows_total: int = 0
    rows_imported: int = 0
    rows_rejected: int = 0
    rejects: list = field(default_factory=list)  # (line, reason), in line order, capped

    def reject(self, line: int, reason: str) -> None:
        self.rows_rejected += 1
        if len(self.rejects) < REPORT_MAX_LINES:
            self.rejects.append((line, reason))


def lift_import(*, authority: Authority, file, filename: str, created_by=None) -> ImportBatch:
    """Imports a CSV file of lifts for `authority` and returns its ImportBatch.

    `file` is a binary file object (an UploadedFile, a django File, an open file). The
    batch ends `done` with its counts and its rejected lines, or `failed` with a French
    `message` and nothing imported (a refused file, or an unexpected error: the import
    can then simply be run again).
    """
    batch = ImportBatch.objects.create(
        authority=authority,
        kind=ImportKind.LIFTS,
        filename=filename[:255],
        created_by=created_by,
    )
    try:
        with transaction.atomic():
            outcome = _lift_rows_import(authority=authority, batch=batch, file=file)
            batch.status = ImportStatus.DONE
            batch.rows_total = outcome.rows_total
            batch.rows_imported = outcome.rows_imported
            batch.rows_rejected = outcome.rows_rejected
            batch.rejected_report = _report(outcome)
            batch.finished_at = timezone.now()
            batch.save(
                update_fields=[
                    "status",
                    "rows_total",
                    "rows_imported",
                    "rows_rejected",
                    "rejected_report",
                    "finished_at",
                    "updated_at",
                ]
            )
    except FileRefused as refused:
        _batch_fail(batch, str(refused))
    except Exception:
        logger.exception("Lift import %s of %s failed", batch.pk, authority.slug)
        _batch_fail(
            batch,
            "L'import a échoué sur une erreur inattendue : rien n'a été importé. "
            "Vous pouvez le relancer ; si l'erreur persiste, contactez l'assistance.",
        )
    return batch


def _batch_fail(batch: ImportBatch, message: str) -> None:
    batch.status = ImportStatus.FAILED
    batch.message = message
    batch.rows_total = batch.rows_imported = batch.rows_rejected = 0
    batch.finished_at = timezone.now()
    batch.save(
        update_fields=[
            "status",
            "message",
            "rows_total",
            "rows_imported",
            "rows_rejected",
            "finished_at",
            "updated_at",
        ]
    )


def _report(outcome: _Outcome) -> str:
    if not outcome.rows_rejected:
        return ""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\n")
    writer.writerow(["ligne", "motif"])
    writer.writerows(outcome.rejects)
    if outcome.rows_rejected > len(outcome.rejects):
        writer.writerow(
            ["", f"… et {outcome.rows_rejected - len(outcome.rejects)} autres lignes rejetées"]
        )
    return buffer.getvalue()


def _lift_rows_import(*, authority: Authority, batch: ImportBatch, file) -> _Outcome:
    max_bytes = getattr(settings, "IMPORT_MAX_BYTES", 200 * 1024 * 1024)
    size = _file_size(file)
    if size is not None and size > max_bytes:
        raise FileRefused(
            f"Le fichier est trop volumineux ({_megabytes(size)}) : "
            f"{_megabytes(max_bytes)} au plus."
        )
    rows = _rows(file, max_bytes)
    if connection.vendor == "postgresql":
        return _insert_postgresql(authority, batch, rows)
    return _insert_orm(authority, batch, rows)


# --- Reading the file ----------------------------------------------------------------------


def _file_size(file) -> int | None:
    size = getattr(file, "size", None)
    if size is not None:
        return size
    try:
        position = file.tell()
        file.seek(0, io.SEEK_END)
        size = file.tell()
        file.seek(position)
        return size
    except (AttributeError, OSError, ValueError):
        return None


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} Mo".replace(".", ",")


def _byte_lines(file, max_bytes: int) -> Iterator[bytes]:
    """The file's lines without their end, read 1 MiB at a time."""
    if hasattr(file, "seek"):
        try:
            file.seek(0)
        except (OSError, ValueError):
            pass
    pending = b""
    read = 0
    while True:
        chunk = file.read(READ_SIZE)
        if not chunk:
            break
        if isinstance(chunk, str):  # a file opened in text mode: back to bytes
            chunk = chunk.encode("utf-8")
        if not read and _looks_binary(chunk[:SNIFF_SIZE]):
            raise FileRefused(BINARY)
        read += len(chunk)
        if read > max_bytes:
            raise FileRefused(f"Le fichier est trop volumineux : {_megabytes(max_bytes)} au plus.")
        lines = (pending + chunk).split(b"\n")
        pending = lines.pop()
        if len(pending) > MAX_LINE_BYTES * 4:
            raise FileRefused(
                "Le fichier n'est pas un fichier CSV de levées : une ligne dépasse "
                f"{MAX_LINE_BYTES} caractères."
            )
        for line in lines:
            yield line[:-1] if line.endswith(b"\r") else line
    if pending:
        yield pending[:-1] if pending.endswith(b"\r") else pending


def _decode(line: bytes) -> str:
    # UTF-8 when it is (the BOM is removed with the header), Latin-1 otherwise: a line of
    # Latin-1 accents is never valid UTF-8, and Latin-1 decodes any byte.
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        return line.decode("latin-1")


def _looks_binary(sample: bytes) -> bool:
    if b"\x00" in sample:
        return True
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 13))
    return controls > len(sample) // 100


def _header(line: bytes) -> tuple[str, dict[str, int]]:
    """The separator and the position of each column, or FileRefused."""
    if line.startswith(b"\xef\xbb\xbf"):
        line = line[3:]
    text = _decode(line).strip()
    separator = ";" if text.count(";") >= text.count(",") else ","
    names = [fold_compact(name) for name in next(csv.reader([text], delimiter=separator))]
    expected = {fold_compact(c): c for c in COLUMNS}
    positions = {expected[n]: i for i, n in enumerate(names) if n in expected}
    missing = [c for c in COLUMNS if c not in positions]
    unknown = [n for n in names if n not in expected]
    if missing or unknown or len(names) != len(COLUMNS):
        details = []
        if missing:
            details.append("colonnes manquantes : " + ", ".join(missing))
        if unknown:
            details.append("colonnes inconnues : " + ", ".join(n or "(vide)" for n in unknown))
        if not details:
            details.append("colonnes en double")
        raise FileRefused(
            "L'en-tête du fichier n'est pas celui attendu « "
            + EXPECTED_HEADER
            + " » (séparateur « ; » ou « , ») : "
            + " ; ".join(details)
            + "."
        )
    return separator, positions


def _rows(file, max_bytes: int) -> Iterator[tuple[int, tuple | str]]:
    """(line number, parsed values or the French reason of the rejection), data lines only.

    Parsed values: (datetime, chip, tank, flux or "", grams, vehicle).
    """
    lines = _byte_lines(file, max_bytes)
    first = next(lines, b"")
    if not first.strip(b" \t\r\n\xef\xbb\xbf"):
        first = next((line for line in lines if line.strip()), b"")
        if not first:
            raise FileRefused("Le fichier est vide.")
        raise FileRefused(
            "La première ligne du fichier doit être l'en-tête « " + EXPECTED_HEADER + " »."
        )
    separator, positions = _header(first)
    order = [positions[c] for c in COLUMNS]
    now = timezone.now()
    for number, raw in enumerate(lines, start=2):
        if not raw.strip():
            continue
        yield number, _parse(raw, separator, order, now)


def _parse(raw: bytes, separator: str, order: list[int], now) -> tuple | str:
    if len(raw) > MAX_LINE_BYTES:
        return f"ligne trop longue (plus de {MAX_LINE_BYTES} caractères)"
    if b"\x00" in raw:
        return "ligne illisible (caractère nul)"
    text = _decode(raw)
    if '"' in text:
        try:
            fields = next(csv.reader([text], delimiter=separator, strict=True))
        except csv.Error:
            return "guillemets mal fermés"
    else:
        fields = text.split(separator)
    if len(fields) != len(COLUMNS):
        return f"{len(fields)} colonnes au lieu de {len(COLUMNS)}"
    stamp = fields[order[0]].strip()
    chip = fields[order[1]].strip()
    tank = fields[order[2]].strip()
    flux = fields[order[3]].strip()
    weight = fields[order[4]].strip()
    vehicle = fields[order[5]].strip()

    lifted_at = _timestamp(stamp)
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
    if flux:
        code = _flux_code(flux)
        if code is None:
            return f"flux inconnu : « {flux} »"
        flux = code
    if len(vehicle) > MAX_NUMBER_LENGTH:
        return f"véhicule trop long ({MAX_NUMBER_LENGTH} caractères au plus)"
    return lifted_at, chip, tank, flux, grams, vehicle


@functools.lru_cache(maxsize=256)
def _flux_code(text: str) -> str | None:
    return FLUX_KEYS.get(fold_compact(text))


TIMESTAMP_RE = re.compile(
    r"(?:(\d{4})-(\d\d)-(\d\d)|(\d\d)/(\d\d)/(\d{4}))[ T](\d\d):(\d\d)(?::(\d\d))?",
    re.ASCII,
)


def _timestamp(text: str) -> datetime.datetime | str:
    """`AAAA-MM-JJ HH:MM[:SS]` or `JJ/MM/AAAA HH:MM[:SS]`, Paris time."""
    match = TIMESTAMP_RE.fullmatch(text)
    if match is None:
        return f"horodatage invalide : « {text} » (attendu AAAA-MM-JJ HH:MM ou JJ/MM/AAAA HH:MM)"
    iso_year, iso_month, iso_day, day, month, year, hour, minute, second = match.groups()
    try:
        return datetime.datetime(
            int(iso_year or year),
            int(iso_month or month),
            int(iso_day or day),
            int(hour),
            int(minute),
            int(second or 0),
            tzinfo=PARIS,
        )
    except ValueError:
        return f"date impossible : « {text} »"


def _grams(text: str) -> int | str:
    if not text:
        return "poids manquant"
    match = WEIGHT_RE.fullmatch(text.lstrip("-").strip())
    if match is None:
        return f"poids non numérique : « {text} »"
    if text.startswith("-"):
        return f"poids négatif : « {text} »"
    whole, decimals = match.groups()
    if decimals and len(decimals) > 3:
        return f"poids invalide : « {text} » (3 décimales au plus)"
    grams = int(whole) * 1000 + int((decimals or "").ljust(3, "0"))
    if grams > MAX_WEIGHT_GRAMS:
        return f"poids supérieur à 2 000 kg : « {text} »"
    return grams


def _bin_reason(code: str, flux: str, bin_flux: str) -> str:
    if code == UNKNOWN_BIN:
        return "bac inconnu : aucun bac de la collectivité n'a ce n° de puce ni ce n° de cuve"
    if code == BIN_CONFLICT:
        return "la puce et la cuve désignent deux bacs différents"
    return f"flux « {Flux(flux).label} » différent de celui du bac « {Flux(bin_flux).label} »"


# --- SQLite (and any other database): bins in memory, bulk_create in chunks ----------------


def _insert_orm(authority: Authority, batch: ImportBatch, rows) -> _Outcome:
    from .models import Bin

    by_chip, by_tank = {}, {}
    for pk, chip, tank, flux in Bin.objects.filter(authority=authority).values_list(
        "pk", "chip_number", "tank_number", "flux"
    ):
        if chip:
            by_chip[chip] = (pk, flux)
        if tank:
            by_tank[tank] = (pk, flux)
    outcome = _Outcome()
    chunk = []
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
        chunk.append(
            Lift(
                authority_id=authority.pk,
                bin_id=found[0],
                lifted_at=lifted_at,
                net_weight_grams=grams,
                vehicle=vehicle,
                import_batch_id=batch.pk,
            )
        )
        if len(chunk) >= CHUNK_SIZE:
            Lift.objects.bulk_create(chunk, ignore_conflicts=True)
            chunk = []
    if chunk:
        Lift.objects.bulk_create(chunk, ignore_conflicts=True)
    outcome.rows_imported = Lift.objects.filter(authority=authority, import_batch=batch).count()
    return outcome


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
INSERT_TAIL = """
    INSERT INTO collection_lift
        (authority_id, bin_id, lifted_at, net_weight_grams, vehicle, import_batch_id)
    SELECT DISTINCT ON (r.bin_id, r.lifted_at)
           %(authority)s, r.bin_id, to_timestamp(r.lifted_at), r.grams, r.vehicle, %(batch)s
    FROM r
    WHERE r.bin_id IS NOT NULL AND NOT r.conflict AND (r.flux = '' OR r.flux = r.bin_flux)
    ORDER BY r.bin_id, r.lifted_at, r.line
    ON CONFLICT (bin_id, lifted_at) DO NOTHING
"""
REJECTED_COUNT_TAIL = """
    SELECT count(*) FROM r
    WHERE r.bin_id IS NULL OR r.conflict OR (r.flux <> '' AND r.flux <> r.bin_flux)
"""
REJECTED_TAIL = """
    SELECT r.line,
           CASE WHEN r.bin_id IS NULL THEN %(unknown)s
                WHEN r.conflict THEN %(conflict)s
                ELSE %(mismatch)s END,
           r.flux, r.bin_flux
    FROM r
    WHERE r.bin_id IS NULL OR r.conflict OR (r.flux <> '' AND r.flux <> r.bin_flux)
    ORDER BY r.line LIMIT %(limit)s
"""


def _insert_postgresql(authority: Authority, batch: ImportBatch, rows) -> _Outcome:
    outcome = _Outcome()
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
                write_row((number, int(lifted_at.timestamp()), chip, tank, flux, grams, vehicle))
        cursor.execute("ANALYZE lift_staging")
        # Sorting a million staged rows in memory rather than on disk (this transaction only).
        cursor.execute("SET LOCAL work_mem = '256MB'")
        params = {"authority": authority.pk, "batch": batch.pk}
        cursor.execute(RESOLVED_CTE + INSERT_TAIL, params)
        outcome.rows_imported = cursor.rowcount
        cursor.execute(RESOLVED_CTE + REJECTED_COUNT_TAIL, params)
        sql_rejected = cursor.fetchone()[0]
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
        sql_rejects = [
            (line, _bin_reason(code, flux, bin_flux))
            for line, code, flux, bin_flux in cursor.fetchall()
        ]
        cursor.execute("DROP TABLE lift_staging")
    outcome.rows_rejected = python_rejected + sql_rejected
    outcome.rejects = sorted(python_rejects + sql_rejects)[:REPORT_MAX_LINES]
    return outcome
