"""A PostgreSQL cluster of the test's own (its data directory under the run's temporary
folder, a free port, its socket beside it), started, restarted and stopped as a real server
is: never the machine's shared server. `initdb` refuses root, and CI runs as root: the
cluster belongs to the `postgres` user, as a packaged one does."""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import psycopg

BIN = Path("/usr/lib/postgresql/15/bin")
ROOT = Path(__file__).resolve().parents[4]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def as_postgres(*command: str) -> list[str]:
    """`command` run as the `postgres` user when this process is root (CI), as is otherwise."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return list(command)


@dataclass
class Cluster:
    directory: Path  # holds data/, the socket and the server's log
    port: int = 0

    @property
    def data(self) -> Path:
        return self.directory / "data"

    @property
    def log(self) -> Path:
        return self.directory / "server.log"

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def pg_ctl(self, action: str, *extra: str) -> None:
        subprocess.run(
            as_postgres(
                str(BIN / "pg_ctl"),
                "-D",
                str(self.data),
                "-l",
                str(self.log),
                "-o",
                f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 "
                "-c fsync=off -c full_page_writes=off",
                "-w",
                "-t",
                "60",
                action,
                *extra,
            ),
            check=True,
            capture_output=True,
        )

    @classmethod
    def made(cls, tmp_path_factory) -> "Cluster":
        """A cluster in a new directory: under pytest's temporary folder, or, as root, one
        that the `postgres` user makes under the system's (pytest's folder of root is
        closed to other users, and the server runs as `postgres`)."""
        if os.geteuid() != 0:
            return cls(tmp_path_factory.mktemp("pg"))
        made = subprocess.run(
            as_postgres("mktemp", "-d", f"{tempfile.gettempdir()}/levee-faults-XXXXXX"),
            check=True,
            capture_output=True,
            text=True,
        )
        return cls(Path(made.stdout.strip()))

    def init(self) -> None:
        self.port = free_port()
        subprocess.run(
            as_postgres(
                str(BIN / "initdb"),
                "-D",
                str(self.data),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ),
            check=True,
            capture_output=True,
        )

    def start(self) -> None:
        self.pg_ctl("start")

    def stop(self) -> None:
        self.pg_ctl("stop", "-m", "fast")

    def remove(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)

    def restart(self) -> None:
        """A fast restart: every connection is cut, open transactions are rolled back."""
        self.pg_ctl("restart", "-m", "fast")

    def sql(self, database: str, statement: str, params=()) -> list[tuple]:
        with psycopg.connect(self.url(database), autocommit=True) as conn:
            cursor = conn.execute(statement, params)
            return cursor.fetchall() if cursor.description else []

    def database_from(self, template: str, name: str) -> str:
        """A new database `name`, a copy of `template`; returns its URL."""
        self.sql("postgres", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.sql("postgres", f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return self.url(name)


def manage_env(url: str, var_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a `manage.py` run against `url`: production's task backend (the
    database), files under `var_dir`, no outside setting of this machine's leaking in."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABASE_", "EMAIL_", "REDIS_", "TASK", "DB_", "PYTEST", "DJANGO"))
    }
    env.update(
        DATABASE_URL=url,
        DJANGO_SETTINGS_MODULE="levee.settings",
        TASKS_BACKEND="django_tasks_db.DatabaseBackend",
        VAR_DIR=str(var_dir),
        SECRET_KEY="fault-tests-only-not-a-secret",
        DB_CONN_MAX_AGE="0",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def manage(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def manage_start(*args: str, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
