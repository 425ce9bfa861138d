"""Runs the load test (issue 15, item 2): gunicorn on 127.0.0.1 with the production settings
(PostgreSQL on the dataset of `build.py`, Redis cache and sessions, the database task
backend, persistent connections), Locust headless against it, once per --workers value,
and what each process used of the machine meanwhile (CPU time read from /proc, so that
what saturates is measured, not guessed). Prints, and with --results appends to
bench/RESULTS.md, p50/p95/p99 and requests per second per page beside the trivial view
served by the same processes in the same run, and the errors.

  .venv/bin/python bench/load/run.py --database-url postgres://postgres@127.0.0.1:5432/levee_load \\
      --workers 2 4 --users 230 --time 3m [--results]

--users counts the 20 agents and the 10 users of the trivial view (locustfile.py: their
fixed_count), the others are residents.
"""

import argparse
import csv
import datetime
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE.parent))
from benchlib import machine  # noqa: E402

VENV = Path(sys.executable).parent
PAGES = [  # the rows of the report, in the residents' order
    "trivial",
    "login",
    "home",
    "production",
    "invoices",
    "duplicata",
    "tracking",
    "request (sent)",
    "pay (Régler)",
    "pay (sandbox, paid)",
    "pay (return)",
    "bo login",
    "bo code",
    "bo queue",
    "bo request",
    "bo accounts search",
]


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/11")
    parser.add_argument("--workers", type=int, nargs="+", default=[2, 4])
    parser.add_argument("--users", type=int, default=230)
    parser.add_argument("--spawn-rate", type=float, default=20)
    parser.add_argument("--time", default="3m")
    parser.add_argument("--port", type=int, default=8115)
    parser.add_argument("--label", default="", help="what the RESULTS.md lines say of the data")
    parser.add_argument("--results", action="store_true", help="append to bench/RESULTS.md")
    return parser.parse_args()


def environment(args) -> dict:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=args.database_url,
        REDIS_URL=args.redis_url,
        TASKS_BACKEND="django_tasks_db.DatabaseBackend",
        DB_CONN_MAX_AGE="60",
        SECRET_KEY=secrets.token_urlsafe(40),
        SITE_URL=f"http://127.0.0.1:{args.port}",
        ALLOWED_HOSTS="127.0.0.1",
        PAYMENT_SANDBOX_ONLY="true",
        PAYMENT_SANDBOX_ALLOWED="true",
        STATIC_MANIFEST="0",
        VAR_DIR=str(ROOT / "var" / "load"),
        LOG_LEVEL="WARNING",
    )
    env.pop("DEBUG", None)
    return env


def sql(url: str, query: str):
    import psycopg

    with psycopg.connect(url) as conn:
        cursor = conn.execute(query)
        return cursor.fetchall() if cursor.description else []


def first_unused(url: str) -> int:
    """The pool's first account that no earlier run logged in with (each run's residents
    take the next ones, since each sends one request and pays one invoice)."""
    used = sql(
        url,
        """SELECT coalesce(max(substr(email, 9, 6)::int), 0) FROM accounts_user
        WHERE email LIKE 'usager.%' AND last_login IS NOT NULL""",
    )[0][0]
    return used + 1


def cpu_ticks(pids) -> int:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime + stime
        except (OSError, IndexError):
            pass
    return total


def children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def postgres_pids(url: str) -> list[int]:
    name = url.rpartition("/")[2]
    return [r[0] for r in sql(url, f"SELECT pid FROM pg_stat_activity WHERE datname = '{name}'")]


def machine_ticks() -> tuple[int, int]:
    """(busy, all) jiffies of the whole machine since boot."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


class Sampler(threading.Thread):
    """Every 2 s: CPU used by gunicorn's workers, PostgreSQL's backends of the dataset,
    Locust, and the whole machine; the run's shares are the sums over the run."""

    def __init__(self, gunicorn: int, locust_pid: int, url: str):
        super().__init__(daemon=True)
        self.gunicorn, self.locust, self.url = gunicorn, locust_pid, url
        self.stop = threading.Event()
        self.used = {"gunicorn": 0, "postgres": 0, "locust": 0}
        self.machine = [0, 0]
        self.loads = []

    def groups(self):
        return {
            "gunicorn": [self.gunicorn, *children(self.gunicorn)],
            "postgres": postgres_pids(self.url),
            "locust": [self.locust, *children(self.locust)],
        }

    def run(self):
        groups = self.groups()
        before = {k: {p: cpu_ticks([p]) for p in v} for k, v in groups.items()}
        busy0, all0 = machine_ticks()
        while not self.stop.wait(2):
            groups = self.groups()
            for name, pids in groups.items():
                for pid in pids:
                    now = cpu_ticks([pid])
                    self.used[name] += now - before[name].get(pid, now)
                    before[name][pid] = now
            self.loads.append(os.getloadavg()[0])
        busy1, all1 = machine_ticks()
        self.machine = [busy1 - busy0, all1 - all0]

    def shares(self, seconds: float) -> dict:
        """Cores used by each group on average (of os.cpu_count()), and the rest of the
        machine (other work on the shared machine) and its idle time."""
        hz = os.sysconf("SC_CLK_TCK")
        cores = {k: v / hz / seconds for k, v in self.used.items()}
        busy, total = self.machine
        ncpu = os.cpu_count()
        cores["machine busy"] = ncpu * busy / total if total else 0
        cores["others"] = max(0.0, cores["machine busy"] - sum(self.used.values()) / hz / seconds)
        cores["load"] = sum(self.loads) / len(self.loads) if self.loads else 0
        return cores


def wait_up(port: int) -> None:
    for _ in range(120):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/bench-trivial/", timeout=2)
            return
        except OSError:
            time.sleep(0.5)
    raise SystemExit("gunicorn did not answer")


def one_run(args, workers: int, env: dict, out: Path) -> dict:
    import redis

    redis.Redis.from_url(args.redis_url).flushdb()
    # An overloaded run verifies codes late, and django-otp learns that lateness as the
    # device's drift (OTP_TOTP_SYNC): the next run's prompt codes would then be refused.
    sql(
        args.database_url,
        """UPDATE otp_totp_totpdevice SET drift = 0 WHERE user_id IN (
        SELECT id FROM accounts_user WHERE email LIKE 'agent%%@load.example.org')""",
    )
    first = first_unused(args.database_url)
    gunicorn = subprocess.Popen(
        [
            str(VENV / "gunicorn"),
            "--chdir", str(HERE),
            "--bind", f"127.0.0.1:{args.port}",
            "--workers", str(workers),
            "--worker-class", "sync",
            "--error-logfile", str(out / f"gunicorn-{workers}.log"),
            "wsgi:application",
        ],
        env=env,
        cwd=HERE,
    )  # fmt: skip
    try:
        wait_up(args.port)
        prefix = out / f"locust-{workers}"
        started = time.perf_counter()
        locust = subprocess.Popen(
            [
                str(VENV / "locust"),
                "-f", str(HERE / "locustfile.py"),
                "--headless", "--only-summary",
                "-u", str(args.users), "-r", str(args.spawn_rate), "-t", args.time,
                "--host", f"http://127.0.0.1:{args.port}",
                "--csv", str(prefix),
                "--stop-timeout", "20",
            ],
            env={**os.environ, "LOAD_FIRST": str(first)},
            stdout=subprocess.DEVNULL,
            stderr=open(out / f"locust-{workers}.log", "w"),
        )  # fmt: skip
        sampler = Sampler(gunicorn.pid, locust.pid, args.database_url)
        sampler.start()
        locust.wait()
        seconds = time.perf_counter() - started
        sampler.stop.set()
        sampler.join()
    finally:
        gunicorn.send_signal(signal.SIGTERM)
        gunicorn.wait(timeout=60)
    rows = {}
    with open(f"{prefix}_stats.csv", newline="") as stats:
        for row in csv.DictReader(stats):
            rows[row["Name"]] = row
    return {"workers": workers, "rows": rows, "cpu": sampler.shares(seconds), "first": first}


def report(args, runs, when: str, commit: str) -> str:
    lines = []
    for run in runs:
        rows, cpu = run["rows"], run["cpu"]
        trivial = rows.get("trivial", {})
        t50 = float(trivial.get("50%", 0) or 0)
        t95 = float(trivial.get("95%", 0) or 0)
        total = rows.get("Aggregated", {})
        lines.append(
            f"\n**{run['workers']} gunicorn workers** ({when}, commit {commit}, {machine()};"
            f" {args.users - 30} residents, 20 agents and 10 on the trivial view, -r {args.spawn_rate:g}, -t {args.time};"
            f" residents from account n° {run['first']}). Requests {total.get('Request Count')},"
            f" errors **{total.get('Failure Count')}**, {float(total.get('Requests/s', 0)):.1f}"
            f" req/s in all. Cores used on average (of {os.cpu_count()}): gunicorn"
            f" {cpu['gunicorn']:.2f}, PostgreSQL (the dataset's backends) {cpu['postgres']:.2f},"
            f" Locust {cpu['locust']:.2f}, the rest of the machine (other work) {cpu['others']:.2f};"
            f" machine busy {cpu['machine busy']:.2f}, load average {cpu['load']:.1f}.\n"
        )
        lines.append(
            "| page | requests | errors | req/s | p50 | p95 | p99 | p50 / trivial | p95 / trivial |"
        )
        lines.append("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        for name in PAGES:
            row = rows.get(name)
            if not row:
                continue
            p50, p95, p99 = (float(row[k] or 0) for k in ("50%", "95%", "99%"))
            lines.append(
                f"| {name} | {row['Request Count']} | {row['Failure Count']} |"
                f" {float(row['Requests/s']):.2f} | {p50:.0f} ms | {p95:.0f} ms | {p99:.0f} ms |"
                f" {f'{p50 / t50:.1f}×' if t50 else '—'} | {f'{p95 / t95:.1f}×' if t95 else '—'} |"
            )
    return "\n".join(lines) + "\n"


def main() -> None:
    args = arguments()
    env = environment(args)
    out = ROOT / "var" / "load"
    out.mkdir(parents=True, exist_ok=True)
    when = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
    ).stdout.strip()
    runs = [one_run(args, workers, env, out) for workers in args.workers]
    text = report(args, runs, when, commit)
    print(text)
    if args.results:
        results_insert(text)


SECTION = "## Load test: the territory's invoice day (issue 15, item 2)"


def results_insert(text: str) -> None:
    """At the end of this test's section of RESULTS.md (other benchmarks append their own
    lines at the end of the file: the section stays where it is)."""
    path = ROOT / "bench" / "RESULTS.md"
    content = path.read_text(encoding="utf-8")
    if SECTION not in content:
        content = content.rstrip("\n") + f"\n\n{SECTION}\n"
    start = content.index(SECTION)
    following = content.find("\n## ", start + len(SECTION))
    end = len(content) if following < 0 else following
    content = content[:end].rstrip("\n") + "\n" + text + content[end:]
    path.write_text(content, encoding="utf-8")


if __name__ == "__main__":
    main()
