"""PostgreSQL restarted in the middle of a lift import and of a billing run, each run by its
real management command in a process of its own: what the interrupted command leaves is
either finished by running it again or nothing at all, and in the end the database holds
exactly what a clean run writes (counts, sums, invoice numbers)."""

import time

import pytest

from .cluster import manage, manage_start
from .world import SLUG, lifts_csv

pytestmark = pytest.mark.slow

BILLING = ["billing_run", "--authority", SLUG, "--year", "2023", "--issued-on", "2024-01-15"]


def wait_for(check, *, timeout: float = 90, what: str = ""):
    """Polls `check()` (errors of a server restarting count as « not yet ») until it returns
    something true; returns it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            found = check()
        except Exception:  # noqa: BLE001 (the server may be restarting)
            found = None
        if found:
            return found
        time.sleep(0.05)
    pytest.fail(f"waited {timeout} s for {what}")


def invoices_of(cluster, database: str) -> dict:
    """What a billing run wrote: its invoices (number, subscription, total), their lines,
    the emails waiting to go, the run's own state."""
    invoices = cluster.sql(
        database,
        "SELECT number, subscription_id, total_cents, status FROM billing_invoice ORDER BY number",
    )
    lines = cluster.sql(database, "SELECT count(*), sum(amount_cents) FROM billing_invoiceline")
    mails = cluster.sql(
        database, 'SELECT count(*), count(DISTINCT "to") FROM mailing_outboxmessage'
    )
    runs = cluster.sql(
        database,
        "SELECT status, invoices_done, invoices_published, subscriptions_total, total_cents FROM billing_billingrun",
    )
    sequence = cluster.sql(
        database, "SELECT year, first_value, next_value FROM billing_invoicesequence"
    )
    return {
        "invoices": invoices,
        "lines": lines,
        "mails": mails,
        "runs": runs,
        "sequence": sequence,
    }


def test_a_billing_run_cut_by_a_restart_is_resumed_to_the_invoices_of_a_clean_run(
    cluster, database, env
):
    name, _ = database
    command = manage_start(*BILLING, env=env)
    # The first chunk of 1,000 invoices is committed: the run is in the middle.
    wait_for(
        lambda: cluster.sql(name, "SELECT count(*) FROM billing_invoice")[0][0] >= 1000,
        what="the first chunk",
    )
    cluster.restart()
    output, _ = command.communicate(timeout=60)
    half = cluster.sql(name, "SELECT count(*) FROM billing_invoice")[0][0]
    ((run_id, status),) = cluster.sql(name, "SELECT id, status FROM billing_billingrun")
    assert 1000 <= half < 4500, output
    assert status != "terminee", output

    resumed = manage("billing_run", "--resume", str(run_id), env=env)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert "terminée" in resumed.stdout

    clean_name = f"{name}_clean"
    clean_env = {**env, "DATABASE_URL": cluster.database_from("faults_template", clean_name)}
    try:
        clean = manage(*BILLING, env=clean_env)
        assert clean.returncode == 0, clean.stdout + clean.stderr
        expected = invoices_of(cluster, clean_name)
    finally:
        cluster.sql("postgres", f'DROP DATABASE IF EXISTS "{clean_name}" WITH (FORCE)')
    got = invoices_of(cluster, name)
    assert len(expected["invoices"]) == 4500
    assert got == expected


def lifts_of(cluster, database: str) -> list[tuple]:
    return cluster.sql(
        database,
        "SELECT count(*), sum(net_weight_grams), count(DISTINCT bin_id), min(lifted_at),"
        " max(lifted_at) FROM collection_lift WHERE lifted_at >= '2024-01-01'",
    )


def test_a_lift_import_cut_by_a_restart_imports_nothing_and_its_rerun_all(
    cluster, database, env, tmp_path
):
    name, _ = database
    path = tmp_path / "levees-2024.csv"
    path.write_text(lifts_csv(), encoding="utf-8")
    command = manage_start("lift_import", "--authority", SLUG, str(path), env=env)
    # Its progress is written as it reads (another connection): well into the file.
    wait_for(
        lambda: cluster.sql(
            name,
            "SELECT 1 FROM collection_importbatch WHERE status = 'running' AND lines_read > 20000",
        ),
        what="the import's progress",
    )
    cluster.restart()
    output, _ = command.communicate(timeout=60)
    assert command.returncode != 0, output
    assert lifts_of(cluster, name)[0][0] == 0, "the cut import left lifts behind"

    again = manage("lift_import", "--authority", SLUG, str(path), env=env)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "135000 lignes lues, 135000 levées importées" in again.stdout

    clean_name = f"{name}_clean"
    clean_env = {**env, "DATABASE_URL": cluster.database_from("faults_template", clean_name)}
    try:
        clean = manage("lift_import", "--authority", SLUG, str(path), env=clean_env)
        assert clean.returncode == 0, clean.stdout + clean.stderr
        expected = lifts_of(cluster, clean_name)
    finally:
        cluster.sql("postgres", f'DROP DATABASE IF EXISTS "{clean_name}" WITH (FORCE)')
    assert lifts_of(cluster, name) == expected
    assert expected[0][0] == 135000
