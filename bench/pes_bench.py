"""Benchmark of a rôle (PES V2 ORMC, issue 13) on PostgreSQL: the PES files of a published
real run of N invoices, without PDFs, beside one SQL query reading the same fields (each
invoice with its account's name, category and address and its lines), in the same run of
the benchmark. Goal: the rôle within 2× that query, memory flat whatever N; the check
before download (`pes_check`, which parses each file back) is measured apart.

The data is written by SQL (generate_series): an authority in PES mode (the demo CCFI's
settings, no PDFs), N accounts with a « bac » subscription each, one real run of the
2nd half of 2026, finished and published, with N invoices of three lines each (abonnement,
levées incluses, levées supplémentaires), none debited. Each side runs `--repeat` times,
alternately (query, rôle, query, rôle…); the medians are compared. Regenerating the rôle
replaces its files (they were never transmitted), as « Générer le fichier PES » does.

With PDFs (`--pdf-size`, 200 by default, 0 to skip): a second run of that many invoices of
another authority whose settings join each invoice's PDF, measured three ways, in this
order: each invoice's PDF rendered alone (`invoice_pdf_render`, nothing kept); the rôle
with its PDFs the first time (each PDF rendered, kept, then compressed and encoded into
the file); the rôle again (the PDFs kept: read, compressed and encoded only). The check
before download apart here too. From the first two come the seconds per PDF, the PDFs
rendered per second on one core, and the time of a 15,000-invoice rôle with its PDFs
(extrapolated: the seconds per invoice × 15,000).

Run: .venv/bin/python bench/pes_bench.py [--size 100000] [--repeat 3] [--pdf-size 200]
It drops and recreates its own database (levee_bench_pes) on the PostgreSQL server of
DATABASE_URL (default postgres://postgres@127.0.0.1:5432), and appends the figures, the date
and the machine to bench/RESULTS.md (--no-results for a trial run); --keep keeps the database.
"""

import argparse
import datetime
import os
import resource
import statistics
import sys
import time
from pathlib import Path

from benchlib import ACCOUNT_COLUMNS, database_drop, database_recreate, machine, server_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "levee.settings")
os.environ.setdefault("VAR_DIR", str(ROOT / "var" / "bench"))
os.environ["TASKS_BACKEND"] = "django_tasks.backends.dummy.DummyBackend"

BENCH_DB = "levee_bench_pes"
RATIO_GOAL = 2.0
PDF_ROLE_SIZE = 15_000
PDF_ROLE_GOAL = 15 * 60  # seconds


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pdf-size", type=int, default=200, help="invoices of the PDF run")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--no-results", action="store_true", help="do not write RESULTS.md")
    return parser.parse_args()


ARGS = arguments()
SERVER = server_url()
os.environ["DATABASE_URL"], _ = database_recreate(SERVER, BENCH_DB)

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, connections  # noqa: E402

from levee.accounts.models import User  # noqa: E402
from levee.billing.models import BillingRun, RunKind, RunStatus, Tariff  # noqa: E402
from levee.treasury import services as treasury_services  # noqa: E402
from levee.treasury.demo import CCFI_SLUG, DEMO_SETTINGS  # noqa: E402
from levee.treasury.models import PesFile, PublicAccountingSettings  # noqa: E402
from testkit import make_authority, make_commune  # noqa: E402

# The fields of a piece, its lines and its debtor, as the rôle reads them.
QUERY = """
SELECT i.id, i.number, i.period_start, i.period_end, i.issued_on, i.due_on,
       i.total_ht_cents, i.vat_rate_bp, i.vat_cents, i.total_cents, i.direct_debit,
       a.code, a.category, a.civility, a.last_name, a.first_name, a.company_name,
       a.billing_number, a.billing_number_suffix, a.billing_street, a.billing_line2,
       a.billing_postal_code, a.billing_city, a.billing_country, a.billing_building,
       a.billing_po_box, a.billing_city_complement,
       l.position, l.kind, l.label, l.quantity, l.unit_cents, l.amount_cents
FROM billing_invoice i
JOIN subscribers_account a ON a.id = i.account_id AND a.authority_id = i.authority_id
JOIN billing_invoiceline l ON l.invoice_id = i.id AND l.authority_id = i.authority_id
WHERE i.authority_id = %(authority)s AND i.run_id = %(run)s AND i.status = 'a_regler'
  AND i.total_ht_cents > 0 AND i.number <> ''
ORDER BY i.id, l.position
"""


def world_create(n: int, *, pdfs: bool = False) -> dict:
    insee, slug, code = (
        ("99002", "bench-pes-pdf", "00241") if pdfs else ("99001", "bench-pes", "00240")
    )
    commune = make_commune(insee=insee, name="Bancdessai", postal_codes=["99000"])
    authority = make_authority(slug=slug, code=code, communes=[commune])
    PublicAccountingSettings.objects.create(
        authority=authority, **{**DEMO_SETTINGS[CCFI_SLUG], "attach_pdfs": pdfs}
    )
    tariff = Tariff.objects.create(authority=authority, year=2026, version=1)
    run = BillingRun.objects.create(
        authority=authority,
        kind=RunKind.REAL,
        status=RunStatus.DONE,
        label="2e semestre 2026",
        period_start=datetime.date(2026, 7, 1),
        period_end=datetime.date(2026, 12, 31),
        tariff=tariff,
        issued_on=datetime.date(2026, 12, 1),
        due_on=datetime.date(2026, 12, 31),
        subscriptions_total=n,
        invoices_done=n,
        invoices_published=n,
        finished_at=datetime.datetime(2026, 12, 1, 8, tzinfo=datetime.UTC),
    )
    params = {"authority": authority.pk, "n": n, "commune": commune.pk, "run": run.pk}
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO subscribers_account "
            + ACCOUNT_COLUMNS
            + """
            SELECT now(), now(), %(authority)s, lpad((i + 1)::text, 6, '0'),
                   'K' || lpad(i::text, 7, '0'),
                   'particulier', 'Mme', 'Bancé', 'Hélène ' || i, '',
                   'foyer' || i || '@example.org', '', '', 'FR', (1 + i %% 97)::text, '',
                   'rue du Général de Gaulle prolongée vers la place de l''Église', '',
                   '99000', 'Bancdessai-en-Flandre', '', '', '', '', '', '', '',
                   false, false, false
            FROM generate_series(0, %(n)s - 1) i
            """,
            params,
        )
        cursor.execute(
            """
            INSERT INTO subscribers_subscription
                (created_at, updated_at, authority_id, account_id, reference, kind, subscribed_on,
                 payment_mode, iban, commune_id, number, number_suffix, street, complement,
                 postal_code)
            SELECT now(), now(), %(authority)s, a.id, a.code, 'bac', date '2022-01-01', '', '',
                   %(commune)s, a.billing_number, '', 'rue du Banc', '', '99000'
            FROM subscribers_account a WHERE a.authority_id = %(authority)s ORDER BY a.id
            """,
            params,
        )
        cursor.execute(
            """
            WITH invoices AS (
                INSERT INTO billing_invoice
                    (created_at, updated_at, authority_id, account_id, subscription_id, run_id,
                     tariff_id, status, year, number, issued_on, due_on, period_start,
                     period_end, total_ht_cents, vat_rate_bp, vat_cents, total_cents,
                     payer_name, payer_address, collection_address, direct_debit,
                     published_at, paid_by, pdf)
                SELECT now(), now(), %(authority)s, s.account_id, s.id, %(run)s, NULL,
                       'a_regler', 2026, '2600240' || lpad(row_number() OVER (ORDER BY s.id)::text, 6, '0'),
                       date '2026-12-01', date '2026-12-31', date '2026-07-01',
                       date '2026-12-31', 3650 + 350 * (s.id %% 4), 0, 0,
                       3650 + 350 * (s.id %% 4), 'Mme BANCÉ ' || a.first_name,
                       concat_ws(' ', a.billing_number, a.billing_street, a.billing_postal_code,
                                 a.billing_city),
                       '1 rue du Banc', false, now(), '', ''
                FROM subscribers_subscription s
                JOIN subscribers_account a ON a.id = s.account_id
                WHERE s.authority_id = %(authority)s
                ORDER BY s.id
                RETURNING id, total_ht_cents
            )
            INSERT INTO billing_invoiceline
                (authority_id, invoice_id, position, kind, label, quantity, unit_cents,
                 amount_cents)
            SELECT %(authority)s, i.id, line.position, line.kind, line.label, line.quantity,
                   line.unit_cents, line.amount
            FROM invoices i CROSS JOIN LATERAL (VALUES
                (0, 'abonnement', 'Abonnement Bac 120 L du 01/07/2026 au 31/12/2026', 1, 3650, 3650),
                (1, 'incluses', 'Levées incluses dans le forfait : 6 sur 6', 6, 0, 0),
                (2, 'supplementaires', 'Levées supplémentaires', (i.total_ht_cents - 3650) / 350,
                 350, i.total_ht_cents - 3650)
            ) AS line(position, kind, label, quantity, unit_cents, amount)
            WHERE line.position < 2 OR i.total_ht_cents > 3650
            """,
            params,
        )
        cursor.execute("ANALYZE")
    return {"authority": authority, "run": run, "load": time.perf_counter() - started}


def query_run(world: dict) -> tuple[float, int]:
    """The query, its rows fetched through a server-side cursor (as a stream would)."""
    params = {"authority": world["authority"].pk, "run": world["run"].pk}
    started = time.perf_counter()
    rows = 0
    with connection.chunked_cursor() as cursor:
        cursor.execute(QUERY, params)
        while batch := cursor.fetchmany(2000):
            rows += len(batch)
    return time.perf_counter() - started, rows


def role_run(world: dict, agent) -> dict:
    """`pes_file_generate`, the check before download timed apart."""
    checked = [0.0]
    check = treasury_services.pes_check

    def timed_check(path):
        t0 = time.perf_counter()
        try:
            return check(path)
        finally:
            checked[0] += time.perf_counter() - t0

    treasury_services.pes_check = timed_check
    try:
        started = time.perf_counter()
        files = treasury_services.pes_file_generate(run=world["run"], by=agent)
        total = time.perf_counter() - started
    finally:
        treasury_services.pes_check = check
    return {
        "seconds": total - checked[0],
        "check": checked[0],
        "files": len(files),
        "pieces": sum(f.pieces for f in files),
        "lines": sum(f.lines for f in files),
        "bytes": sum(f.size for f in files),
    }


def pdf_measure(n: int, agent) -> dict:
    """The PDF run: rendering alone, the rôle the first time (rendering and keeping each
    PDF), the rôle again (the PDFs kept)."""
    from levee.billing.models import Invoice
    from levee.billing.pdf import invoice_pdf_render
    from levee.treasury.pes import titled_invoices

    world = world_create(n, pdfs=True)
    invoices = titled_invoices(world["run"]).select_related("account", "authority", "subscription")
    invoice_pdf_render(invoices.first())  # the fonts and templates loaded once, before both
    started = time.perf_counter()
    rendered = sum(len(invoice_pdf_render(invoice)) for invoice in invoices.iterator())
    render = time.perf_counter() - started
    assert not Invoice.objects.filter(run=world["run"]).exclude(pdf="").exists()
    first = role_run(world, agent)
    again = role_run(world, agent)
    assert first["pieces"] == again["pieces"] == n, (first, again)
    return {
        "render": render,
        "pdf_kb": rendered / n / 1000,
        "first": first,
        "again": again,
    }


def pdf_line(n: int, measure: dict) -> str:
    first, again = measure["first"], measure["again"]
    per_pdf = first["seconds"] / n
    extrapolated = per_pdf * PDF_ROLE_SIZE
    pg = f"{connection.pg_version // 10000}.{connection.pg_version % 10000}"
    return (
        f"| {datetime.datetime.now():%Y-%m-%d %H:%M} | {machine()} | {pg} | {n:,} | "
        f"{measure['render'] / n:.3f} s ({n / measure['render']:.1f}/s) | "
        f"{per_pdf:.3f} s | {again['seconds'] / n * 1000:.1f} ms | "
        f"{first['check']:.2f} s | {first['files']} ({first['bytes'] / 1e6:.1f} MB, "
        f"{measure['pdf_kb']:.0f} kB a PDF) | {extrapolated / 60:.1f} min | "
        f"{'✅ pass' if extrapolated <= PDF_ROLE_GOAL else '❌ fail'} |"
    )


PDF_TITLE = "## PES rôle with its PDFs (PostgreSQL), goal a 15,000-invoice rôle under 15 minutes"
PDF_INTRO = (
    "`bench/pes_bench.py --pdf-size N`, after the table above, in the same process. A "
    "published real run of N invoices (the same three lines) of an authority whose settings "
    "join each invoice's PDF (gzip then base64, in the PES_PJ block). « rendering alone »: "
    "each invoice's PDF rendered by `invoice_pdf_render` (WeasyPrint), nothing kept, one "
    "core; its rate in PDFs per second. « rôle, first time »: `pes_file_generate` when no "
    "PDF is kept yet (each one rendered, kept, then compressed and encoded into the file), "
    "per invoice. « rôle again »: the same once the PDFs are kept (read, compressed and "
    "encoded only), per invoice. The check before download apart. « 15,000 invoices »: the "
    "first time's seconds per invoice × 15,000 (extrapolated, not run). See the load "
    "average.\n\n"
    "| date | machine | PostgreSQL | N | rendering alone, a PDF | rôle first time, an "
    "invoice | rôle again, an invoice | check | files | 15,000 invoices | goal |\n"
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n"
)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


TITLE = "## PES rôle without PDFs (PostgreSQL), goal within 2× one SQL query, flat memory"


def results_write(line: str, *, title: str = TITLE, intro: str | None = None) -> None:
    results = ROOT / "bench" / "RESULTS.md"
    text = results.read_text(encoding="utf-8") if results.exists() else "# Benchmark results\n"
    if title not in text and intro is not None:
        start = text.find(TITLE)
        after = text.find("\n## ", start + 1) if start != -1 else -1
        section = f"{title}\n\n{intro}"
        if after == -1:
            text = text.rstrip("\n") + f"\n\n{section}"
        else:
            text = text[: after + 1] + f"\n{section}\n" + text[after + 1 :]
    if title not in text:
        text = text.rstrip("\n") + (
            f"\n\n{title}\n\n"
            "`bench/pes_bench.py`. A published real run of N invoices of three lines each "
            "(none debited, no PDFs joined), its data written by SQL. « query »: one SELECT "
            "of every field the rôle reads (each invoice, its account's name, category and "
            "address, its lines), fetched through a server-side cursor. « rôle »: "
            "`pes_file_generate` writing the PES files (5,000 pieces each), the check before "
            "download (`pes_check`, the files parsed back) apart. Medians of the repeats, "
            "run alternately in the same process; ratio = rôle / query. Peak RSS: the "
            "process's maximum, before the first rôle and at the end (flat memory: the "
            "difference stays small whatever N). See the load average.\n\n"
            "| date | machine | PostgreSQL | N | repeats | query | rôle | ratio | check | "
            "files | peak RSS | goal |\n"
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n"
        )
    start = text.index(title)
    end = text.find("\n## ", start)
    end = len(text) if end == -1 else end
    lines = text[start:end].rstrip("\n").split("\n")
    # The new row goes after the table's last row: the paragraphs under it stay under it.
    last_row = max(k for k, row in enumerate(lines) if row.startswith("|"))
    lines.insert(last_row + 1, line)
    section = "\n".join(lines) + "\n"
    rest = text[end:].lstrip("\n")
    text = text[:start] + section + ("\n" + rest if rest else "")
    results.write_text(text, encoding="utf-8")


def main() -> None:
    Path(os.environ["VAR_DIR"]).mkdir(parents=True, exist_ok=True)
    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)  # an authority saved forgets its hosts
    n = ARGS.size
    world = world_create(n)
    agent = User.objects.create_user("bench.pes@example.org", "x")
    print(f"N = {n:,}: data written in {world['load']:.1f} s", flush=True)
    query_run(world)  # warm the cache for both sides alike
    rss_before = peak_rss_mb()
    queries, roles = [], []
    for attempt in range(ARGS.repeat):
        seconds, rows = query_run(world)
        queries.append(seconds)
        role = role_run(world, agent)
        roles.append(role)
        assert role["pieces"] == n, role
        # The query reads every line; the rôle writes those above zero (a line of 0,00 €,
        # « Levées incluses », is no debt: Base_Montant > 0).
        assert rows >= role["lines"], (rows, role["lines"])
        print(
            f"  {attempt + 1}: query {seconds:.2f} s ({rows:,} rows), rôle {role['seconds']:.2f} s "
            f"({role['lines']:,} lines written) "
            f"({role['files']} files, {role['bytes'] / 1e6:.0f} MB), check {role['check']:.2f} s",
            flush=True,
        )
    assert PesFile.objects.filter(run=world["run"]).count() == roles[-1]["files"]
    query = statistics.median(queries)
    role = statistics.median(r["seconds"] for r in roles)
    check = statistics.median(r["check"] for r in roles)
    ratio = role / query
    rss_after = peak_rss_mb()
    pg = f"{connection.pg_version // 10000}.{connection.pg_version % 10000}"
    line = (
        f"| {datetime.datetime.now():%Y-%m-%d %H:%M} | {machine()} | {pg} | {n:,} | "
        f"{ARGS.repeat} | {query:.2f} s | {role:.2f} s | {ratio:.2f} | {check:.2f} s | "
        f"{roles[-1]['files']} ({roles[-1]['bytes'] / 1e6:.0f} MB) | {rss_before:.0f} → "
        f"{rss_after:.0f} MB | {'✅ pass' if ratio <= RATIO_GOAL else '❌ fail'} |"
    )
    print(line)
    if not ARGS.no_results:
        results_write(line)
    if ARGS.pdf_size:
        measure = pdf_measure(ARGS.pdf_size, agent)
        line = pdf_line(ARGS.pdf_size, measure)
        print(line)
        if not ARGS.no_results:
            results_write(line, title=PDF_TITLE, intro=PDF_INTRO)
    connections.close_all()
    if not ARGS.keep:
        database_drop(SERVER, BENCH_DB)


if __name__ == "__main__":
    main()
