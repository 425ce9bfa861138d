"""What the PostgreSQL benchmarks share: their own database on the server of DATABASE_URL,
and the machine they ran on (written beside every figure in RESULTS.md)."""

import os
import platform
from pathlib import Path

# Every column of subscribers_account, for the benchmarks' INSERT … SELECT: one list, so a
# column added to the model is added here once (a NOT NULL one fails both benchmarks).
ACCOUNT_COLUMNS = """(
    created_at, updated_at, authority_id, code, portal_key, category, civility,
    last_name, first_name, company_name, email, phone, mobile, billing_country,
    billing_number, billing_number_suffix, billing_street, billing_line2,
    billing_postal_code, billing_city, billing_building, billing_staircase,
    billing_apartment, billing_floor, billing_po_box, billing_city_complement,
    work_phone, objects_to_other_uses, refuses_automated_erasure,
    paperless_invoices
)"""


def server_url() -> str:
    """The PostgreSQL server of DATABASE_URL (default: the local one), without a database."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        url = "postgres://postgres@127.0.0.1:5432/postgres"
    return url.rpartition("/")[0]


def database_recreate(base: str, name: str, *, reuse: bool = False) -> tuple[str, bool]:
    """The URL of database `name`, dropped and created empty — or kept as it is when `reuse`
    and it exists. Returns (url, whether it was reused)."""
    import psycopg

    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        kept = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if reuse and kept:
            return f"{base}/{name}", True
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{base}/{name}", False


def database_drop(base: str, name: str) -> None:
    import psycopg

    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def machine() -> str:
    """Host, CPU model, cores, RAM, Python, and the load average now (the machine may be
    shared: a load above the cores slows every figure down)."""
    cpu, ram = platform.processor() or platform.machine(), ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram = f", {int(line.split()[1]) / 1024 / 1024:.0f} GB RAM"
                break
    except OSError:
        pass
    return (
        f"{platform.node()} ({cpu}, {os.cpu_count()} cores{ram}, "
        f"Python {platform.python_version()}; load {os.getloadavg()[0]:.1f})"
    )
