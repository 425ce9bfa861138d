"""Benchmark of a real billing run on PostgreSQL: N subscriptions with 26 household-waste
lifts each in 2023, billed for the year (numbered, published with their emails), beside one
SQL statement (INSERT … SELECT) that writes the same invoices and lines. Goal (issue 5):
the run within 5× that statement, and linear in N (measured at 10k, 50k, 100k).

Each N gets its own authority in the same database: accounts, subscriptions, bins and lifts
are written by SQL (generate_series, not the ORM). For each N, the real run first
(`billing_run_create` then `billing_run_execute`, in-process, timed as a whole and per
phase: billing, publishing), then the statement (its invoices belong to a run of its own,
numbered far after the real run's). Email delivery is a separate task (the outbox) and is
not part of a run: the benchmark's task backend is the dummy one.

Run: .venv/bin/python bench/bench_billing_run.py [--sizes 10000,50000,100000]
It drops and recreates its own database (levee_bench_billing) on the PostgreSQL server of
DATABASE_URL (default postgres://postgres@127.0.0.1:5432), and appends the figures, the date
and the machine to bench/RESULTS.md (--no-results for a trial run); --keep keeps the database.
"""

import argparse
import datetime
import os
import sys
import time
from pathlib import Path
from types import SimpleNamespace

from benchlib import ACCOUNT_COLUMNS, database_drop, database_recreate, machine, server_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "levee.settings")
os.environ.setdefault("VAR_DIR", str(ROOT / "var" / "bench"))
os.environ["TASKS_BACKEND"] = "django_tasks.backends.dummy.DummyBackend"

BENCH_DB = "levee_bench_billing"
LIFTS = 26
RATIO_GOAL = 5.0


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,50000,100000")
    parser.add_argument("--chunk", type=int, default=None, help="chunk size of the run")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--no-results", action="store_true", help="do not write RESULTS.md")
    args = parser.parse_args()
    args.sizes = [int(s) for s in args.sizes.split(",")]
    return args


ARGS = arguments()
SERVER = server_url()
os.environ["DATABASE_URL"], _ = database_recreate(SERVER, BENCH_DB)

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, connections  # noqa: E402

from levee.billing import services  # noqa: E402
from levee.billing.models import (  # noqa: E402
    BillingRun,
    Invoice,
    InvoiceLine,
    PlanKind,
    RunKind,
    RunStatus,
    Tariff,
    TariffPlan,
)
from levee.mailing.models import OutboxMessage  # noqa: E402
from testkit import make_authority, make_commune  # noqa: E402


def world_create(n: int, commune) -> dict:
    """An authority with `n` accounts (with an email), a « bac » subscription each, a
    household-waste bin (120 L or 240 L) and 26 fortnightly lifts in 2023, and its 2023
    tariff grid."""
    code = f"{n % 100000:05d}"
    authority = make_authority(slug=f"bench-billing-{n}", code=code, communes=[commune])
    tariff = Tariff.objects.create(authority=authority, year=2023, version=1)
    for volume, fixed, extra in ((120, 7300, 250), (240, 14600, 400)):
        TariffPlan.objects.create(
            authority=authority,
            tariff=tariff,
            kind=PlanKind.BAC,
            volume_litres=volume,
            label=f"Bac {volume} L",
            fixed_cents=fixed,
            included_lifts=12,
            extra_lift_cents=extra,
        )
    params = {"authority": authority.pk, "n": n, "commune": commune.pk, "lifts": LIFTS}
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO subscribers_account "
            + ACCOUNT_COLUMNS
            + """
            SELECT now(), now(), %(authority)s, lpad(i::text, 6, '0'), 'K' || lpad(i::text, 7, '0'),
                   'particulier', 'M', 'BANC', 'Foyer ' || i, '',
                   'foyer' || i || '@example.org', '', '', 'FR', (1 + i %% 97)::text, '',
                   'rue du Banc', '', '99000', 'Bancdessai', '', '', '', '', '', '', '',
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
            INSERT INTO collection_bin
                (created_at, updated_at, authority_id, subscription_id, account_id, flux,
                 volume_litres, chip_number, tank_number, delivered_on)
            SELECT now(), now(), %(authority)s, s.id, s.account_id, 'ordures_menageres',
                   CASE WHEN s.reference::int %% 2 = 0 THEN 120 ELSE 240 END,
                   'E' || lpad(s.reference, 8, '0'), '', s.subscribed_on
            FROM subscribers_subscription s WHERE s.authority_id = %(authority)s ORDER BY s.id
            """,
            params,
        )
        cursor.execute(
            """
            INSERT INTO collection_lift
                (authority_id, bin_id, lifted_at, net_weight_grams, vehicle, import_batch_id)
            SELECT %(authority)s, b.id,
                   (date '2023-01-02' + 14 * w + time '07:15') AT TIME ZONE 'Europe/Paris',
                   8000 + (b.id * 7 + w * 13) %% 14000, 'BOM-1', NULL
            FROM generate_series(0, %(lifts)s - 1) w
            CROSS JOIN collection_bin b WHERE b.authority_id = %(authority)s
            ORDER BY 2, 3
            """,
            params,
        )
        cursor.execute("ANALYZE")
    return {"authority": authority, "tariff": tariff, "load": time.perf_counter() - started}


def statement_run(world: dict, run: BillingRun) -> tuple[float, int, int]:
    """One INSERT … SELECT (invoices, then their lines, in one statement through a
    data-modifying CTE) writing the invoices and lines the real run writes: same usage,
    prorating of a full year, extra lifts, numbers from a row number, payer and address.
    Returns (seconds, invoices, lines)."""
    authority, tariff = world["authority"], world["tariff"]
    params = {
        "authority": authority.pk,
        "tariff": tariff.pk,
        "run": run.pk,
        "prefix": f"23{authority.code}",
        "first": 500_000,  # far after the real run's numbers
        "start": "2023-01-01",
        "end": "2024-01-01",
    }
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH usage AS (
                SELECT b.subscription_id, count(*) AS lifts
                FROM collection_lift l JOIN collection_bin b ON b.id = l.bin_id
                WHERE l.authority_id = %(authority)s AND b.authority_id = %(authority)s
                  AND b.flux = 'ordures_menageres'
                  AND l.lifted_at >= (%(start)s::date::timestamp AT TIME ZONE 'Europe/Paris')
                  AND l.lifted_at < (%(end)s::date::timestamp AT TIME ZONE 'Europe/Paris')
                GROUP BY b.subscription_id
            ), billed AS (
                SELECT s.id AS subscription_id, s.account_id, a.last_name, a.first_name,
                       concat_ws(' ', a.billing_number, a.billing_street, a.billing_postal_code,
                                 a.billing_city) AS address,
                       p.label, p.fixed_cents, p.included_lifts, p.extra_lift_cents,
                       coalesce(u.lifts, 0) AS lifts,
                       greatest(coalesce(u.lifts, 0) - p.included_lifts, 0) AS extra,
                       row_number() OVER (ORDER BY s.id) AS rn
                FROM subscribers_subscription s
                JOIN subscribers_account a ON a.id = s.account_id
                JOIN collection_bin b ON b.subscription_id = s.id
                     AND b.flux = 'ordures_menageres' AND b.authority_id = %(authority)s
                JOIN billing_tariffplan p ON p.tariff_id = %(tariff)s AND p.kind = 'bac'
                     AND p.volume_litres = b.volume_litres
                LEFT JOIN usage u ON u.subscription_id = s.id
                WHERE s.authority_id = %(authority)s
            ), invoices AS (
                INSERT INTO billing_invoice
                    (created_at, updated_at, authority_id, account_id, subscription_id, run_id,
                     tariff_id, status, year, number, issued_on, due_on, period_start,
                     period_end, total_ht_cents, vat_rate_bp, vat_cents, total_cents,
                     payer_name, payer_address, direct_debit, published_at, paid_by, pdf)
                SELECT now(), now(), %(authority)s, account_id, subscription_id, %(run)s,
                       %(tariff)s, 'a_regler', 2023,
                       %(prefix)s || lpad((%(first)s + rn)::text, 6, '0'),
                       date '2023-07-02', date '2023-08-01', date '2023-01-01',
                       date '2023-12-31', fixed_cents + extra * extra_lift_cents, 0, 0,
                       fixed_cents + extra * extra_lift_cents,
                       trim(last_name || ' ' || first_name), address, false, now(), '', ''
                FROM billed
                RETURNING id, subscription_id
            )
            INSERT INTO billing_invoiceline
                (authority_id, invoice_id, position, kind, label, quantity, unit_cents,
                 amount_cents)
            SELECT %(authority)s, i.id, line.position, line.kind, line.label, line.quantity,
                   line.unit_cents, line.amount
            FROM invoices i JOIN billed b ON b.subscription_id = i.subscription_id
            CROSS JOIN LATERAL (VALUES
                (1, 'abonnement', 'Abonnement ' || b.label || ' du 01/01/2023 au 31/12/2023',
                 1, b.fixed_cents, b.fixed_cents),
                (2, 'incluses', 'Levées incluses dans le forfait : '
                    || least(b.lifts, b.included_lifts) || ' sur ' || b.included_lifts,
                 least(b.lifts, b.included_lifts), 0, 0),
                (3, 'supplementaires', b.extra
                    || CASE WHEN b.extra > 1 THEN ' levées supplémentaires × '
                            ELSE ' levée supplémentaire × ' END
                    || replace(to_char(b.extra_lift_cents / 100.0, 'FM999990.00'), '.', ',')
                    || chr(160) || '€',
                 b.extra, b.extra_lift_cents, b.extra * b.extra_lift_cents)
            ) AS line(position, kind, label, quantity, unit_cents, amount)
            WHERE line.position < 3 OR b.extra > 0
            """,
            params,
        )
        lines = cursor.rowcount
    seconds = time.perf_counter() - started
    return seconds, Invoice.objects.filter(run=run).count(), lines


def real_run(world: dict) -> dict:
    phases = {"billing": 0.0, "publishing": 0.0}
    last = [time.perf_counter()]

    def progress(run):
        now = time.perf_counter()
        phases["publishing" if run.invoices_published else "billing"] += now - last[0]
        last[0] = now

    started = time.perf_counter()
    run = services.billing_run_create(
        authority=world["authority"],
        kind=RunKind.REAL,
        year=2023,
        half=None,
        issued_on=datetime.date(2023, 7, 2),
        enqueue=False,
    )
    kwargs = {"chunk_size": ARGS.chunk} if ARGS.chunk else {}
    queries = [0]

    sql_times = {}

    def count(execute, sql, params, many, context):
        queries[0] += 1
        t0 = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            key = sql[:70]
            sql_times[key] = sql_times.get(key, 0) + time.perf_counter() - t0

    last[0] = time.perf_counter()
    with connection.execute_wrapper(count):
        if os.environ.get("BENCH_PROFILE"):
            import cProfile

            with cProfile.Profile() as profile:
                run = services.billing_run_execute(run_id=run.pk, on_progress=progress, **kwargs)
            profile.dump_stats(os.environ["BENCH_PROFILE"])
        else:
            run = services.billing_run_execute(run_id=run.pk, on_progress=progress, **kwargs)
    seconds = time.perf_counter() - started
    if os.environ.get("BENCH_SQL"):
        for key, t in sorted(sql_times.items(), key=lambda kv: -kv[1])[:12]:
            print(f"    {t:6.2f} s  {key}")
    assert run.status == RunStatus.DONE, run.message
    return {"run": run, "seconds": seconds, "queries": queries[0], **phases}


def same_figures(world: dict, real: BillingRun, baseline: BillingRun) -> None:
    """The statement wrote what the run wrote: totals, lines, amounts (numbers aside)."""

    def figures(run):
        invoices = Invoice.objects.filter(run=run)
        lines = InvoiceLine.objects.filter(invoice__run=run)
        return (
            invoices.count(),
            sorted(invoices.values_list("subscription_id", "total_cents", "payer_address")),
            lines.count(),
            sorted(
                lines.values_list("invoice__subscription_id", "position", "label", "amount_cents")
            ),
        )

    assert figures(real) == figures(baseline), "the statement and the run disagree"


def results_write(lines: list[str]) -> None:
    results = ROOT / "bench" / "RESULTS.md"
    title = "## Billing run (PostgreSQL), goal within 5× one INSERT … SELECT, linear in N"
    text = results.read_text(encoding="utf-8") if results.exists() else "# Benchmark results\n"
    if title not in text:
        text = text.rstrip("\n") + (
            f"\n\n{title}\n\n"
            "`bench/bench_billing_run.py`. Per N, an authority with N accounts (with an "
            "email), one « bac » subscription each, a household-waste bin (120 L or 240 L) and "
            "26 fortnightly lifts in 2023, written by SQL (generate_series). « statement »: "
            "one INSERT … SELECT (a data-modifying CTE) writing the same invoices and lines "
            "as the run (checked equal: totals, addresses, lines and their labels). « run »: "
            "`billing_run_create` + `billing_run_execute` of a real run of 2023, in-process: "
            "billing (chunks of 1,000: one usage query, invoices and lines written by COPY, "
            "numbers under the sequence lock) then publishing (published_at, one « Votre "
            "facture est disponible » email per invoice in the outbox, the direct debit "
            "plan); delivery is the outbox's task, not part of the run. µs/sub: run time per "
            "subscription (linear when it stays flat; « not linear » when it varies by more "
            "than 30 %, which the statement's own time per subscription does too on this "
            "shared machine). See the load average.\n\n"
            "| date | machine | PostgreSQL | N | lifts | statement | run (billing + "
            "publishing) | ratio | µs/sub | queries | goal |\n"
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n"
        )
    start = text.index(title)
    end = text.find("\n## ", start)
    end = len(text) if end == -1 else end
    section = text[start:end].rstrip("\n") + "\n" + "\n".join(lines) + "\n"
    rest = text[end:].lstrip("\n")
    text = text[:start] + section + ("\n" + rest if rest else "")
    results.write_text(text, encoding="utf-8")


def main() -> None:
    Path(os.environ["VAR_DIR"]).mkdir(parents=True, exist_ok=True)
    call_command("migrate", verbosity=0)
    # What a long-lived worker has loaded already, and the first run would pay alone: the
    # URL resolver (the email's link) and the email's compiled templates.
    from django.template.loader import get_template

    services.invoices_url(SimpleNamespace(slug="bench"))
    for part in ("subject.txt", "txt", "html"):
        get_template(f"emails/invoice_available.{part}")
    rows, per_sub = [], []
    for i, n in enumerate(ARGS.sizes):
        # One authority per commune: each N has its own.
        commune = make_commune(insee=f"99{i:03d}", name=f"Bancdessai-{i}", postal_codes=["99000"])
        world = world_create(n, commune)
        print(f"N = {n:,}: data written in {world['load']:.1f} s", flush=True)
        baseline_run = BillingRun.objects.create(
            authority=world["authority"],
            # Not a real run, so the real one of the same year is allowed beside it.
            kind=RunKind.SIMULATION,
            status=RunStatus.DONE,
            label="2023 (instruction SQL)",
            period_start=datetime.date(2023, 1, 1),
            period_end=datetime.date(2023, 12, 31),
            tariff=world["tariff"],
            issued_on=datetime.date(2023, 7, 2),
            due_on=datetime.date(2023, 8, 1),
        )
        # The run first: its creation refuses a period that invoices cover already. The
        # statement then runs on a warmer cache, which if anything favours it.
        result = real_run(world)
        run = result["run"]
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE billing_invoice; ANALYZE billing_invoiceline")
        statement, invoices, lines = statement_run(world, baseline_run)
        print(f"  statement: {statement:.2f} s ({invoices:,} invoices, {lines:,} lines)")
        ratio = result["seconds"] / statement
        per_sub.append(result["seconds"] / n * 1e6)
        emails = OutboxMessage.objects.filter(authority=world["authority"]).count()
        assert run.invoices_done == n and emails == n, (run.invoices_done, emails)
        same_figures(world, run, baseline_run)
        print(
            f"  run: {result['seconds']:.2f} s (billing {result['billing']:.2f} s, publishing "
            f"{result['publishing']:.2f} s), ratio {ratio:.2f}, {per_sub[-1]:.0f} µs/sub",
            flush=True,
        )
        rows.append((n, statement, result, ratio))
    linear = max(per_sub) <= 1.3 * min(per_sub)
    passed_all = linear and all(r[3] <= RATIO_GOAL for r in rows)
    now = datetime.datetime.now()
    pg = f"{connection.pg_version // 10000}.{connection.pg_version % 10000}"
    chunks = ARGS.chunk or services.CHUNK_SIZE
    lines = []
    for n, statement, result, ratio in rows:
        queries = f"{result['queries']} (chunks of {chunks})"
        lines.append(
            f"| {now:%Y-%m-%d %H:%M} | {machine()} | {pg} | {n:,} | {n * LIFTS:,} | "
            f"{statement:.2f} s | {result['seconds']:.2f} s ({result['billing']:.2f} + "
            f"{result['publishing']:.2f}) | {ratio:.2f} | {result['seconds'] / n * 1e6:.0f} | "
            f"{queries} | {'✅ pass' if ratio <= RATIO_GOAL else '❌ fail'}"
            f"{'' if linear else ' (not linear)'} |"
        )
    for line in lines:
        print(line)
    print("All goals met." if passed_all else "Goal missed.")
    if not ARGS.no_results:
        results_write(lines)
    connections.close_all()
    if not ARGS.keep:
        database_drop(SERVER, BENCH_DB)


if __name__ == "__main__":
    main()
