"""Benchmark of the lift import on PostgreSQL: 1,000,000 lines of 20,000 bins.

Compares `lift_import` (checks, bins resolved, rejects computed, lifts inserted) with the
floor: a bare COPY of the same file into a table of six text columns, no check, no index.
Goal: the import takes at most 3 times the bare COPY.

Run: DATABASE_URL=postgres://postgres@127.0.0.1:5432/levee .venv/bin/python bench/bench_lift_import.py
It works in its own database on that server (levee_bench_lifts, created when missing),
removes its data afterwards and appends the figures to bench/RESULTS.md (not with
BENCH_RECORD=0: a trial run, printed only).
"""

import datetime
import os
import platform
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "levee.settings")
os.environ.setdefault("VAR_DIR", str(ROOT / "var" / "bench"))

ROWS = int(os.environ.get("BENCH_ROWS", "1000000"))
BINS = int(os.environ.get("BENCH_BINS", "20000"))
BENCH_DB = "levee_bench_lifts"


def bench_database_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit(
            "This benchmark measures the PostgreSQL fast path: set DATABASE_URL to a "
            "PostgreSQL server (e.g. postgres://postgres@127.0.0.1:5432/levee)."
        )
    import psycopg

    base, _, _ = url.rpartition("/")
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DB]).fetchone():
            conn.execute(f'CREATE DATABASE "{BENCH_DB}"')
    return f"{base}/{BENCH_DB}"


os.environ["DATABASE_URL"] = bench_database_url()

import django  # noqa: E402

django.setup()

from django.core.files import File  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from levee.authorities.models import Authority, Commune  # noqa: E402
from levee.collection.importers import lift_import  # noqa: E402
from levee.collection.models import Bin, ImportBatch, ImportStatus, Lift  # noqa: E402
from levee.subscribers.models import Account, Subscription  # noqa: E402

SLUG = "bench-levees"


def insert_select(model, columns: str, select: str, params: dict) -> None:
    """INSERT INTO the model's table (`columns`) `select` (SELECT <values> FROM …), the
    columns it leaves out that need a value taking the model's defaults: the bench keeps
    working when a model gains a field."""
    values, _, rest = select.partition(" FROM ")
    given = {name.strip() for name in columns.split(",")}
    params = dict(params)
    for field in model._meta.concrete_fields:
        if field.primary_key or field.column in given or (field.null and not field.has_default()):
            continue
        key = f"default_{len(params)}"
        params[key] = field.get_db_prep_save(field.get_default(), connection)
        columns += f", {field.column}"
        values += f", %({key})s"
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {model._meta.db_table} ({columns}) {values} FROM {rest}",  # noqa: S608
            params,
        )


def world_create() -> Authority:
    """BINS accounts, subscriptions and bins, written by SQL (the bench process stays small)."""
    world_delete()
    commune, _ = Commune.objects.get_or_create(
        insee="99999",
        defaults={"name": "Bancdessai", "search_name": "bancdessai", "department": "99"},
    )
    authority = Authority.objects.create(
        slug=SLUG, code="99999", name="Banc d'essai des levées", contact_email="bench@example.org"
    )
    params = {"authority": authority.pk, "commune": commune.pk, "bins": BINS}
    insert_select(
        Account,
        "created_at, updated_at, authority_id, code, portal_key, category, last_name",
        "SELECT now(), now(), %(authority)s, lpad(n::text, 6, '0'), 'K' || lpad(n::text, 7, '0'),"
        " 'particulier', 'BANC' FROM generate_series(0, %(bins)s - 1) n",
        params,
    )
    insert_select(
        Subscription,
        "created_at, updated_at, authority_id, account_id, reference, kind, subscribed_on,"
        " commune_id, street, postal_code",
        "SELECT now(), now(), %(authority)s, a.id, a.code, 'bac', '2020-01-01', %(commune)s,"
        " 'rue du Banc', '99999' FROM subscribers_account a WHERE a.authority_id = %(authority)s",
        params,
    )
    insert_select(
        Bin,
        "created_at, updated_at, authority_id, subscription_id, account_id, flux,"
        " volume_litres, chip_number, tank_number, delivered_on",
        "SELECT now(), now(), %(authority)s, s.id, s.account_id, 'ordures_menageres', 120,"
        " 'E' || lpad(s.reference, 8, '0'), 'C' || lpad(s.reference, 8, '0'), '2020-01-01'"
        " FROM subscribers_subscription s WHERE s.authority_id = %(authority)s",
        params,
    )
    assert Bin.objects.filter(authority=authority).count() == BINS
    return authority


def world_delete() -> None:
    authority = Authority.objects.filter(slug=SLUG).first()
    if authority is None:
        return
    with connection.cursor() as cursor:
        for table in (
            "collection_lift",
            "collection_bin",
            "collection_importbatch",
            "subscribers_subscription",
            "subscribers_account",
        ):
            cursor.execute(f"DELETE FROM {table} WHERE authority_id = %s", [authority.pk])
        # The next run starts from a table without the dead rows of this one (autovacuum
        # would get there, later): each run measures the same thing.
        cursor.execute("VACUUM ANALYZE collection_lift")
    authority.delete()


def csv_write(path: Path) -> None:
    """ROWS lifts, weekly rounds over the bins, half by chip, half by tank, streamed."""
    rng = random.Random(3)
    start = datetime.datetime(2021, 1, 4, 6, 0)
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("horodatage;puce;cuve;flux;poids_kg;vehicule\n")
        for n in range(ROWS):
            week, bin_number = divmod(n, BINS)
            when = start + datetime.timedelta(weeks=week, seconds=bin_number * 2)
            chip, tank = (f"E{bin_number:08d}", "") if n % 2 else ("", f"C{bin_number:08d}")
            weight = f"{rng.randint(3000, 25000) / 1000:.3f}".replace(".", ",")
            out.write(f"{when:%d/%m/%Y %H:%M:%S};{chip};{tank};om;{weight};BOM-{week % 7}\n")


def copy_bare(path: Path) -> float:
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_lift_raw")
        cursor.execute(
            "CREATE TABLE bench_lift_raw (horodatage text, puce text, cuve text,"
            " flux text, poids_kg text, vehicule text)"
        )
        start = time.perf_counter()
        with (
            cursor.copy(
                "COPY bench_lift_raw FROM STDIN WITH (FORMAT csv, DELIMITER ';', HEADER true)"
            ) as copy,
            path.open("rb") as handle,
        ):
            while block := handle.read(1024 * 1024):
                copy.write(block)
        elapsed = time.perf_counter() - start
        cursor.execute("SELECT count(*) FROM bench_lift_raw")
        assert cursor.fetchone()[0] == ROWS
        cursor.execute("DROP TABLE bench_lift_raw")
    return elapsed


def copy_into_lifts(authority, batch, dump: Path) -> float:
    """The table's own floor: the same lifts, bins already resolved and checked, COPYed
    straight into collection_lift (its primary key and its unique index)."""
    columns = "authority_id, bin_id, lifted_at, net_weight_grams, vehicle, import_batch_id"
    with connection.cursor() as cursor:
        with (
            dump.open("wb") as out,
            cursor.copy(
                f"COPY (SELECT {columns} FROM collection_lift WHERE import_batch_id = {batch.pk})"
                " TO STDOUT"
            ) as copy,
        ):
            for block in copy:
                out.write(block)
        cursor.execute("DELETE FROM collection_lift WHERE import_batch_id = %s", [batch.pk])
        start = time.perf_counter()
        with (
            dump.open("rb") as handle,
            cursor.copy(f"COPY collection_lift ({columns}) FROM STDIN") as copy,
        ):
            while block := handle.read(1024 * 1024):
                copy.write(block)
        elapsed = time.perf_counter() - start
    return elapsed


class StatementTimes:
    """The time of each SQL statement run through Django's cursor (COPY aside), in order."""

    def __init__(self):
        self.times = []

    def __call__(self, execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            words = " ".join(sql.split())
            self.times.append((time.perf_counter() - start, words[:60]))

    def report(self, total: float) -> None:
        for seconds, words in self.times:
            if seconds >= 0.05:
                print(f"    {seconds:6.2f} s  {words}")
        rest = total - sum(seconds for seconds, _ in self.times)
        print(f"    {rest:6.2f} s  the rest: reading the file, COPY, Python")


def main() -> None:
    Path(os.environ["VAR_DIR"]).mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()[0]
    call_command("migrate", verbosity=0)
    print(f"Creating {BINS} bins…", flush=True)
    authority = world_create()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "levees.csv"
            print(f"Writing {ROWS} lines…", flush=True)
            csv_write(path)
            size = path.stat().st_size
            print("COPY into a bare table…", flush=True)
            copy_seconds = copy_bare(path)
            print(f"  {copy_seconds:.2f} s; lift_import…", flush=True)
            rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            statements = StatementTimes()
            start = time.perf_counter()
            with path.open("rb") as handle, connection.execute_wrapper(statements):
                batch = lift_import(
                    authority=authority, file=File(handle, name=str(path)), filename=path.name
                )
            import_seconds = time.perf_counter() - start
            peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            print(f"  {import_seconds:.2f} s", flush=True)
            statements.report(import_seconds)
            assert batch.status == ImportStatus.DONE, batch.message
            assert (batch.rows_imported, batch.rows_rejected) == (ROWS, 0), (
                batch.rows_imported,
                batch.rows_rejected,
            )
            assert Lift.objects.filter(import_batch=batch).count() == ROWS
            statements = StatementTimes()
            start = time.perf_counter()
            with path.open("rb") as handle, connection.execute_wrapper(statements):
                again = lift_import(
                    authority=authority, file=File(handle, name=str(path)), filename=path.name
                )
            again_seconds = time.perf_counter() - start
            print(f"  again: {again_seconds:.2f} s", flush=True)
            statements.report(again_seconds)
            assert again.rows_imported == 0 and again.rows_already_present == ROWS
            table_seconds = copy_into_lifts(authority, batch, Path(tmp) / "lifts.copy")
    finally:
        world_delete()
        ImportBatch.objects.filter(authority__slug=SLUG).delete()

    ratio = import_seconds / copy_seconds
    line = (
        f"| {datetime.datetime.now():%Y-%m-%d %H:%M} | {platform.node()} ({platform.machine()}, "
        f"{os.cpu_count()} CPU, Python {platform.python_version()}; load {load_before:.1f} → "
        f"{os.getloadavg()[0]:.1f}) | "
        f"{connection.pg_version // 10000} | {size / 1024 / 1024:.0f} MB | "
        f"{copy_seconds:.2f} s | {table_seconds:.2f} s | {import_seconds:.2f} s | {ratio:.1f} | "
        f"{import_seconds / table_seconds:.1f} | "
        f"{again_seconds:.2f} s | {peak_rss / 1024:.0f} MB (before: {rss_before / 1024:.0f} MB) |"
    )
    print(line)
    if os.environ.get("BENCH_RECORD", "1") == "0":
        return
    results = ROOT / "bench" / "RESULTS.md"
    title = f"## Lift import ({ROWS:,} rows, PostgreSQL)"
    text = results.read_text(encoding="utf-8") if results.exists() else "# Benchmark results\n"
    if title not in text:
        text = text.rstrip("\n") + (
            f"\n\n{title}\n\n"
            f"{BINS:,} bins; the import (every line checked, bins resolved by chip or tank, "
            "lifts inserted) against a bare COPY of the same file into an unindexed table of "
            "text columns (ratio = lift_import / bare COPY; goal ≤ 3). « COPY into "
            "collection_lift »: the same lifts, bins already resolved, COPYed straight into the "
            "real table (its primary key and unique index): what the table "
            "alone costs. « again »: the same file imported a second time (adds nothing).\n\n"
            "| date | machine | PostgreSQL | file | bare COPY | COPY into collection_lift | "
            "lift_import | ratio | ratio to COPY into collection_lift | again | peak RSS |\n"
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n"
        )
    # The line goes after the last row of this section's table, whatever follows it (the
    # analysis below the table, other sections).
    start = text.index(title)
    end = text.find("\n## ", start)
    end = len(text) if end == -1 else end
    last_row = text.rfind("\n|", start, end)
    cut = text.index("\n", last_row + 1) + 1 if "\n" in text[last_row + 1 : end] else end
    text = text[:cut] + line + "\n" + text[cut:]
    results.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
