"""Builds the load test's dataset (issue 15, item 1) in a PostgreSQL database of its own.

Two authorities (`cast.AUTHORITIES`), 100,000 accounts at --scale 1 (households,
subscriptions, bins with chips and tank numbers), about 10 M lifts over ten years, some
400,000 invoices with their lines and gap-free numbers, their payments, requests, and a
login for seven accounts in ten; 20 agents with their TOTP secret. The few rows with
rules of their own (authorities, communes, tariffs, billing runs, agents) are made by the
ORM; the bulk by `generate.sql`, in PostgreSQL (generate_series), seeded. README.md
says what it holds and how long it takes.

  .venv/bin/python bench/load/build.py --scale 1.0 \\
      --database-url postgres://postgres@127.0.0.1:5432/levee_load

drops and recreates that database, migrates it and fills it. --scale 0.01 builds 1,000
accounts (the test's size); --seed changes every draw.
"""

import argparse
import datetime
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import cast  # noqa: E402

ACCOUNTS = 100_000
YEARS = 10  # of lifts, this one included
INVOICE_YEARS = 5  # billed by the redevance incitative, up to last year
COMMUNES = 6  # per authority
# Tariff of every year: fixed part per volume, lifts included, price of an extra lift.
FIXED = {120: 9_600, 240: 16_800}
INCLUDED = 12
EXTRA_CENTS = 250
VAT_BP = 1000


def arguments(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1.0: 100,000 accounts")
    parser.add_argument("--database-url", required=True, help="postgres://…/<its own name>")
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--today", type=datetime.date.fromisoformat, default=None)
    return parser.parse_args(argv)


def database_recreate(url: str) -> None:
    import psycopg

    base, _, name = url.rpartition("/")
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def lift_indexes_drop(cursor) -> list[str]:
    """Drops collection_lift's unique constraints and secondary indexes (a bulk load is
    much faster into a bare table); returns the statements that put them back, read from
    the catalog, so they are what the migrations built."""
    cursor.execute(
        """SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
        WHERE conrelid = 'collection_lift'::regclass AND contype IN ('u', 'f')"""
    )
    constraints = cursor.fetchall()
    cursor.execute(
        """SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'collection_lift'
        AND indexname NOT IN (
            SELECT conname FROM pg_constraint WHERE conrelid = 'collection_lift'::regclass)"""
    )
    indexes = cursor.fetchall()
    for name, _ in constraints:
        cursor.execute(f'ALTER TABLE collection_lift DROP CONSTRAINT "{name}"')
    for name, _ in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    return [d for _, d in indexes] + [
        f'ALTER TABLE collection_lift ADD CONSTRAINT "{n}" {d}' for n, d in constraints
    ]


def small_rows(today: datetime.date, scale: float) -> dict:
    """Authorities, communes, tariffs, runs and agents, by the ORM; the settings the SQL
    reads (load.*)."""
    from django.contrib.auth.hashers import make_password
    from django.db import connection
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from levee.accounts.models import User
    from levee.agents.models import Agent
    from levee.agents.roles import AgentRole
    from levee.billing.models import (
        BillingRun,
        PlanKind,
        RunKind,
        RunStatus,
        Tariff,
        TariffPlan,
    )
    from levee.twofactor.services import DEVICE_NAME
    from testkit import make_authority, make_commune

    password = make_password(cast.PASSWORD)  # hashed once, written on every login
    first_year = today.year - YEARS + 1
    accounts = max(int(ACCOUNTS * scale), 20)
    settings = {
        "seed": 0,
        "today": today.isoformat(),
        "first_year": first_year,
        "password": password,
        # the load test's residents: enough for several runs of 200 users per authority
        "pool": max(min(2_000, accounts // 10), 5),
    }
    tariffs = []
    for i, ((slug, code, name, share), letter) in enumerate(
        zip(cast.AUTHORITIES, cast.LETTERS, strict=True)
    ):
        communes = [
            make_commune(
                insee=f"9{i + 8}{n:03d}",
                name=f"{'Nordville' if i == 0 else 'Sudbourg'}-{n + 1}",
                postal_codes=[f"9{i + 8}{n:03d}"],
            )
            for n in range(COMMUNES)
        ]
        authority = make_authority(slug=slug, code=code, name=name, communes=communes)
        settings[f"authority_{letter}"] = authority.pk
        settings[f"slug_{letter}"] = slug
        settings[f"communes_{letter}"] = "{" + ",".join(str(c.pk) for c in communes) + "}"
        settings[f"accounts_{letter}"] = round(accounts * share)
        for year in range(first_year, today.year + 1):
            tariff = Tariff.objects.create(authority=authority, year=year, vat_rate_bp=VAT_BP)
            for volume, fixed in FIXED.items():
                TariffPlan.objects.create(
                    authority=authority,
                    tariff=tariff,
                    kind=PlanKind.BAC,
                    volume_litres=volume,
                    label=f"Bac {volume} L",
                    fixed_cents=fixed,
                    included_lifts=INCLUDED,
                    extra_lift_cents=EXTRA_CENTS,
                )
            if year < today.year - INVOICE_YEARS or year == today.year:
                continue
            issued = datetime.date(year + 1, 2, 1)
            if year == today.year - 1:  # the territory's invoice day: a week ago
                issued = max(issued, today - datetime.timedelta(days=7))
            run = BillingRun.objects.create(
                authority=authority,
                kind=RunKind.REAL,
                status=RunStatus.DONE,
                label=str(year),
                period_start=datetime.date(year, 1, 1),
                period_end=datetime.date(year, 12, 31),
                tariff=tariff,
                issued_on=issued,
                due_on=issued + datetime.timedelta(days=30),
            )
            tariffs.append((authority.pk, year, tariff.pk, run.pk, issued))
        for n in range(1, cast.AGENTS_PER_AUTHORITY + 1):
            user = User.objects.create(
                email=cast.agent_email(letter, n),
                password=password,
                first_name="Agent",
                last_name=f"{letter.upper()}{n:02d}",
                is_active=True,
            )
            Agent.objects.create(
                authority=authority,
                user=user,
                role=AgentRole.ADMINISTRATEUR if n == 1 else AgentRole.ACCUEIL,
            )
            TOTPDevice.objects.create(
                user=user, name=DEVICE_NAME, confirmed=True, key=cast.agent_totp_key(letter, n)
            )
    with connection.cursor() as cursor:
        cursor.execute(
            """CREATE TABLE load_tariff (authority_id bigint, year int, tariff_id bigint,
            run_id bigint, vat_rate_bp int, extra_lift_cents int, label text,
            fixed_120 int, fixed_240 int, included_lifts int, issued_on date)"""
        )
        cursor.executemany(
            "INSERT INTO load_tariff VALUES (%s, %s, %s, %s, %s, %s, 'Bac', %s, %s, %s, %s)",
            [
                (a, y, t, r, VAT_BP, EXTRA_CENTS, FIXED[120], FIXED[240], INCLUDED, i)
                for a, y, t, r, i in tariffs
            ],
        )
        cursor.execute(
            f"CREATE TABLE load_agent AS SELECT authority_id, user_id FROM {Agent._meta.db_table}"
        )
    return settings


def build(url: str, *, scale: float, seed: int, today: datetime.date | None = None) -> dict:
    """Fills the (migrated, empty) database Django is connected to; returns the counts and
    the time of each step."""
    from django.db import connection, transaction

    today = today or datetime.date.today()
    timings, started = {}, time.perf_counter()
    with transaction.atomic():
        settings = small_rows(today, scale)
    settings["seed"] = seed
    sql = (HERE / "generate.sql").read_text(encoding="utf-8")
    with connection.cursor() as cursor:
        for name, value in settings.items():
            cursor.execute("SELECT set_config(%s, %s, false)", [f"load.{name}", str(value)])
        cursor.execute("SET work_mem = '256MB'")
        cursor.execute("SET maintenance_work_mem = '1GB'")
        with transaction.atomic():
            restore = lift_indexes_drop(cursor)
            cursor.execute(sql)
            timings["rows (generate.sql)"] = time.perf_counter() - started
            step = time.perf_counter()
            for statement in restore:
                cursor.execute(statement)
            cursor.execute(
                """UPDATE billing_billingrun r SET subscriptions_total = c.n, invoices_done = c.n,
                invoices_published = c.n, total_cents = c.total,
                started_at = (r.issued_on + time '05:00') AT TIME ZONE 'Europe/Paris',
                finished_at = (r.issued_on + time '05:40') AT TIME ZONE 'Europe/Paris'
                FROM (SELECT run_id, count(*) n, sum(total_cents) total FROM billing_invoice
                      GROUP BY run_id) c WHERE c.run_id = r.id"""
            )
            cursor.execute("DROP TABLE load_tariff, load_agent")
            timings["lift indexes"] = time.perf_counter() - step
        step = time.perf_counter()
        cursor.execute("VACUUM ANALYZE")
        timings["VACUUM ANALYZE"] = time.perf_counter() - step
        counts = {}
        for table in (
            "subscribers_account",
            "collection_bin",
            "collection_lift",
            "billing_invoice",
            "billing_invoiceline",
            "payments_payment",
            "requests_servicerequest",
            "accounts_user",
        ):
            cursor.execute(f"SELECT count(*) FROM {table}")
            counts[table] = cursor.fetchone()[0]
    timings["total"] = time.perf_counter() - started
    return {"counts": counts, "timings": timings, "settings": settings}


def main() -> None:
    args = arguments()
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "levee.settings")
    os.environ.setdefault("SECRET_KEY", "load-dataset-build")
    os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1")
    started = time.perf_counter()
    database_recreate(args.database_url)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    call_command("createcachetable", verbosity=0)
    migrated = time.perf_counter() - started
    result = build(args.database_url, scale=args.scale, seed=args.seed, today=args.today)
    print(f"migrate: {migrated:.0f} s")
    for step, seconds in result["timings"].items():
        print(f"{step}: {seconds:.0f} s")
    for table, count in result["counts"].items():
        print(f"{table}: {count:,}")


if __name__ == "__main__":
    main()
