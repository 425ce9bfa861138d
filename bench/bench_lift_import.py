"""Benchmark of the lift import on PostgreSQL: 1,000,000 lines of 20,000 bins.

Compares `lift_import` (checks, bins resolved, rejects computed, lifts inserted) with the
floor: a bare COPY of the same file into a table of six text columns, no check, no index.
Goal: the import takes at most 3 times the bare COPY.

Run: DATABASE_URL=postgres://postgres@127.0.0.1:5432/levee .venv/bin/python bench/bench_lift_import.py
It works in its own database on that server (levee_bench_lifts, created when missing),
removes its data afterwards and appends the figures to bench/RESULTS.md.
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
from levee.collection.models import Bin, Flux, ImportBatch, ImportStatus, Lift  # noqa: E402
from levee.subscribers.models import Account, Subscription  # noqa: E402

SLUG = "bench-levees"


def world_create() -> Authority:
    world_delete()
    commune, _ = Commune.objects.get_or_create(
        insee="99999",
        defaults={"name": "Bancdessai", "search_name": "bancdessai", "department": "99"},
    )
    authority = Authority.objects.create(
        slug=SLUG, code="99999", name="Banc d'essai des levées", contact_email="bench@example.org"
    )
    accounts = Account.objects.bulk_create(
        Account(authority=authority, code=f"{n:06d}", portal_key=f"K{n:07d}", last_name="BANC")
        for n in range(BINS)
    )
    subscriptions = Subscription.objects.bulk_create(
        Subscription(
            authority=authority,
            account=account,
            reference=account.code,
            kind="bac",
            subscribed_on=datetime.date(2020, 1, 1),
            commune=commune,
            street="rue du Banc",
            postal_code="99999",
        )
        for account in accounts
    )
    Bin.objects.bulk_create(
        (
            Bin(
                authority=authority,
                subscription=subscription,
                account_id=subscription.account_id,
                flux=Flux.ORDURES_MENAGERES,
                volume_litres=120,
                chip_number=f"E{n:08d}",
                tank_number=f"C{n:08d}",
                delivered_on=datetime.date(2020, 1, 1),
            )
            for n, subscription in enumerate(subscriptions)
        ),
        batch_size=5000,
    )
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
            "CREATE UNLOGGED TABLE bench_lift_raw (horodatage text, puce text, cuve text,"
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


def main() -> None:
    Path(os.environ["VAR_DIR"]).mkdir(parents=True, exist_ok=True)
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
            start = time.perf_counter()
            with path.open("rb") as handle:
                batch = lift_import(
                    authority=authority, file=File(handle, name=str(path)), filename=path.name
                )
            import_seconds = time.perf_counter() - start
            peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            print(f"  {import_seconds:.2f} s", flush=True)
            assert batch.status == ImportStatus.DONE, batch.message
            assert (batch.rows_imported, batch.rows_rejected) == (ROWS, 0), (
                batch.rows_imported,
                batch.rows_rejected,
            )
            assert Lift.objects.filter(import_batch=batch).count() == ROWS
            start = time.perf_counter()
            with path.open("rb") as handle:
                again = lift_import(
                    authority=authority, file=File(handle, name=str(path)), filename=path.name
                )
            again_seconds = time.perf_counter() - start
            assert again.rows_imported == 0 and again.rows_already_present == ROWS
    finally:
        world_delete()
        ImportBatch.objects.filter(authority__slug=SLUG).delete()

    ratio = import_seconds / copy_seconds
    line = (
        f"| {datetime.datetime.now():%Y-%m-%d %H:%M} | {platform.node()} ({platform.machine()}, "
        f"{os.cpu_count()} CPU, Python {platform.python_version()}) | "
        f"{connection.pg_version // 10000} | {size / 1024 / 1024:.0f} MB | "
        f"{copy_seconds:.2f} s | {import_seconds:.2f} s | {ratio:.2f} | "
        f"{again_seconds:.2f} s | {peak_rss / 1024:.0f} MB (before: {rss_before / 1024:.0f} MB) |"
    )
    print(line)
    results = ROOT / "bench" / "RESULTS.md"
    title = f"## Lift import ({ROWS:,} rows, PostgreSQL)"
    text = results.read_text(encoding="utf-8") if results.exists() else "# Benchmark results\n"
    if title not in text:
        text = text.rstrip("\n") + (
            f"\n\n{title}\n\n"
            f"{BINS:,} bins; the import (every line checked, bins resolved by chip or tank, "
            "lifts inserted) against a bare COPY of the same file into an unindexed table of "
            "text columns. Goal: ratio ≤ 3. « again »: the same file imported a second "
            "time (adds nothing).\n\n"
            "| date | machine | PostgreSQL | file | bare COPY | lift_import | ratio | again | "
            "peak RSS |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n"
        )
    # The line goes at the end of this section's table, whatever follows it.
    start = text.index(title)
    end = text.find("\n## ", start)
    end = len(text) if end == -1 else end
    section = text[start:end].rstrip("\n") + "\n" + line + "\n"
    rest = text[end:].lstrip("\n")
    text = text[:start] + section + ("\n" + rest if rest else "")
    results.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
