"""The demo loaded once per date for the whole test run, then restored from a copy of its
rows: a real load takes seconds (thousands of accounts, years of lifts, invoices), putting
its rows back a fraction of one.

A copy holds every table of the project's models as the load left it (the communes, the
content types and permissions included, so that the rows referring to them stay right),
and the files it wrote (logos). Restoring it empties those tables and writes the rows back
in one transaction, so the database is what a load would have left whatever it held
before: the rolled-back transaction of a module (`demo_world`) or a database flushed by a
browser test. The first worker of a run (pytest-xdist) that needs a date loads it and keeps
the copy in the run's shared folder, under a lock; the others wait for it and read it."""

import datetime
import fcntl
import os
import pickle
import shutil
from contextlib import contextmanager
from pathlib import Path

from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.test import override_settings
from django.utils import timezone

# LEVEE_TEST_DEMO_CACHE=0 loads the demo for real each time a test asks for it, as the
# suite did before the copy: the way to measure what the copy saves (CONTRIBUTING.md).
CACHED = os.environ.get("LEVEE_TEST_DEMO_CACHE", "1") != "0"


@contextmanager
def _locked(path: Path):
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _tables() -> list[str]:
    return sorted(connection.introspection.django_table_names(only_existing=True))


def tables_dump(tables: list[str] | None = None) -> dict:
    """The rows of `tables` (every table of the models by default), in a form that
    `tables_restore` writes back into a database of the same schema."""
    tables = tables or _tables()
    dump = {}
    with connection.cursor() as cursor:
        for table in tables:
            quoted = quote(table)
            if connection.vendor == "postgresql":
                with cursor.copy(f"COPY {quoted} TO STDOUT") as copy:
                    dump[table] = b"".join(bytes(chunk) for chunk in copy)
            else:
                cursor.execute(f"SELECT * FROM {quoted}")
                columns = [column[0] for column in cursor.description]
                dump[table] = (columns, cursor.fetchall())
    return dump


def tables_restore(dump: dict) -> None:
    """Empties the tables of `dump` and writes its rows back, in one transaction, in any
    order of the tables (SQLite checks the foreign keys at its end, PostgreSQL trusts the
    copy of a consistent database)."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with _foreign_keys_unchecked(cursor):
                for table in dump:
                    cursor.execute(f"DELETE FROM {quote(table)}")
                for table, rows in dump.items():
                    if rows:
                        with cursor.copy(f"COPY {quote(table)} FROM STDIN") as copy:
                            copy.write(rows)
            _sequences_raise(cursor, list(dump))
        else:
            for table in dump:
                cursor.execute(f"DELETE FROM {quote(table)}")
            for table, (columns, values) in dump.items():
                if values:
                    names = ", ".join(quote(column) for column in columns)
                    marks = ", ".join(["%s"] * len(columns))
                    cursor.executemany(
                        f"INSERT INTO {quote(table)} ({names}) VALUES ({marks})", values
                    )
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()


def quote(name: str) -> str:
    return connection.ops.quote_name(name)


@contextmanager
def _foreign_keys_unchecked(cursor):
    """PostgreSQL checks each row's foreign keys by a trigger, which costs more than the
    copy itself: rows copied from a consistent database skip them (a superuser's
    `session_replication_role`, as the tests' database has), only while they are written
    (the transaction around may be a test module's). Without the right, checked at the
    end of the transaction."""
    try:
        with transaction.atomic():
            cursor.execute("SET LOCAL session_replication_role = replica")
    except DatabaseError:
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        yield
        return
    yield  # (on an error, the rollback of the restore's savepoint resets it)
    cursor.execute("SET LOCAL session_replication_role = DEFAULT")


def _sequences_raise(cursor, tables: list[str]) -> None:
    """Every identity of `tables` past the rows written (never lowered: rows a rolled-back
    transaction had are back after it, and a sequence is not rolled back)."""
    cursor.execute(
        "SELECT table_name, column_name FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND table_name = ANY(%s)"
        " AND (is_identity = 'YES' OR column_default LIKE 'nextval(%%')",
        [tables],
    )
    for table, column in cursor.fetchall():
        sequence = f"pg_get_serial_sequence('{quote(table)}', '{column}')"
        cursor.execute(
            f"SELECT setval({sequence}, GREATEST("
            f"(SELECT COALESCE(MAX({quote(column)}), 1) FROM {quote(table)}),"
            f" nextval({sequence})))"
        )


def _key(today: datetime.date | None) -> str:
    return (today or timezone.localdate()).isoformat() + ("" if today else "-today")


def demo_restore(
    *, today: datetime.date | None, shared: Path, media_root: Path, private_root: Path
) -> None:
    """The demo with its lifts until `today` (None: the real today, as `demo_data_load`),
    the communes included, in the database and its files under the two roots. Loaded for
    real the first time a run asks for this date, restored from its copy afterwards."""
    from levee.demo.services import demo_data_load

    folder = shared / f"demo-{_key(today)}"
    rows = folder / "tables.pickle"
    if not CACHED:
        with override_settings(MEDIA_ROOT=media_root, PRIVATE_ROOT=private_root):
            call_command("communes_load")
            demo_data_load(today=today)
        return
    # The copy is written whole then renamed into place: once there, workers read it at
    # the same time; the lock is only for the first load of a date.
    if not rows.exists():
        _first_load(today, folder, rows, shared)
    with open(rows, "rb") as handle:
        tables_restore(pickle.load(handle))
    for name, root in (("media", media_root), ("private", private_root)):
        if (folder / "files" / name).exists():
            shutil.copytree(folder / "files" / name, root, dirs_exist_ok=True)


def _first_load(today, folder: Path, rows: Path, shared: Path) -> None:
    from levee.demo.services import demo_data_load

    with _locked(shared / f"demo-{_key(today)}.lock"):
        if not rows.exists():
            shutil.rmtree(folder, ignore_errors=True)
            files = folder / "files"
            with (
                override_settings(MEDIA_ROOT=files / "media", PRIVATE_ROOT=files / "private"),
                transaction.atomic(),
            ):
                call_command("communes_load")
                demo_data_load(today=today)
                dump = tables_dump()
            written = rows.with_suffix(".part")
            with open(written, "wb") as handle:
                pickle.dump(dump, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(written, rows)
