"""Benchmark of the resident's space pages beside a trivial view, in one process (issue 15,
item 0: every page at 30 % or more of the trivial view's throughput on the same stack).

Marie Martin of the demo (authority flandre-interieure) is logged in; each page is
requested through Django's test Client (the whole middleware stack, no network), the
pages taking turns within each round so that the machine's drift weighs on all alike:
« Mon espace », « Mes bacs/levées », « Suivi de mes demandes », « Mes informations »,
« Mes factures », « Mon calendrier de collecte », and a trivial view (an HttpResponse behind the same middleware, for the
logged-in session). Printed per page: median CPU and wall time per request over the
rounds, the queries and their time, and the ratio of the trivial view's time to the
page's (the share of its throughput the page would reach). --profile PAGE prints the
cProfile of that page instead.

Run, on the demo loaded into a PostgreSQL database of your own:
  DATABASE_URL=postgres://postgres@127.0.0.1:5432/levee_bench SECRET_KEY=… \\
  REDIS_URL=redis://127.0.0.1:6379/7 .venv/bin/python bench/bench_pages.py
(migrate, createcachetable and `manage.py demo_load --force` first; without DATABASE_URL
it measures the embedded SQLite demo of `make setup`). --results appends the figures,
the date and the machine to bench/RESULTS.md.
"""

import argparse
import cProfile
import datetime
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

from benchlib import machine

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "levee.settings")
os.environ["ALLOWED_HOSTS"] = "testserver"
os.environ["STATIC_MANIFEST"] = "0"

SLUG = "flandre-interieure"
EMAIL = "marie.martin@example.org"
PAGES = {
    "trivial": "/bench-trivial/",
    "home": f"/{SLUG}/espace/",
    "production": f"/{SLUG}/espace/mes-bacs-levees/",
    "tracking": f"/{SLUG}/espace/suivi-de-mes-demandes/",
    "informations": f"/{SLUG}/espace/mes-informations/",
    "invoices": f"/{SLUG}/espace/mes-factures/",
    "calendar": f"/{SLUG}/espace/calendrier/",
}


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--requests", type=int, default=20, help="per page and round")
    parser.add_argument("--profile", choices=sorted(PAGES), help="cProfile this page")
    parser.add_argument(
        "--breakdown", action="store_true", help="then time SQL, ORM, templates, the rest"
    )
    parser.add_argument("--label", default="", help="a word for the RESULTS.md line")
    parser.add_argument("--results", action="store_true", help="append to bench/RESULTS.md")
    return parser.parse_args()


ARGS = arguments()

import django  # noqa: E402
from django.conf import settings  # noqa: E402

django.setup()

from django.db import connection, reset_queries  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import include, path  # noqa: E402

from levee.accounts.models import User  # noqa: E402


def trivial(request):
    return HttpResponse("ok", content_type="text/plain")


# This module is the URLconf: the portal's URLs and the trivial view, on the same stack.
urlpatterns = [path("bench-trivial/", trivial), path("", include("levee.urls"))]
settings.ROOT_URLCONF = __name__


def client_logged_in() -> Client:
    client = Client()
    client.force_login(User.objects.get(email=EMAIL))
    return client


def one(client: Client, url: str) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    response = client.get(url)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    if response.status_code != 200:
        raise SystemExit(f"{url}: {response.status_code}")
    return wall, cpu


def queries_of(client: Client, url: str) -> tuple[int, float]:
    """The number of queries one request makes, and their time (ms) as Django logs it."""
    settings.DEBUG = True
    try:
        reset_queries()
        client.get(url)
        found = list(connection.queries)
    finally:
        settings.DEBUG = False
    return len(found), 1000 * sum(float(q["time"]) for q in found)


def profile(client: Client, url: str) -> None:
    for _ in range(5):
        client.get(url)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(ARGS.requests):
        client.get(url)
    profiler.disable()
    stats = pstats.Stats(profiler)
    stats.sort_stats("cumulative").print_stats(45)
    stats.sort_stats("tottime").print_stats(25)


class Breakdown:
    """Where a request's wall time goes, each instant counted once, in the innermost of:
    SQL (the database driver's execute, round trip included), ORM (building the queries
    and the objects from their rows), templates (rendering), the rest (middleware, view
    code, the cache)."""

    def __init__(self):
        self.times = {"SQL": 0.0, "ORM": 0.0, "templates": 0.0}
        self.stack: list[list] = []

    def timed(self, category, function):
        def wrapper(*args, **kwargs):
            self.stack.append([category, time.perf_counter(), 0.0])
            try:
                return function(*args, **kwargs)
            finally:
                cat, started, inner = self.stack.pop()
                spent = time.perf_counter() - started
                self.times[cat] += spent - inner
                if self.stack:
                    self.stack[-1][2] += spent

        return wrapper

    def sql(self, execute, sql, params, many, context):
        return self.timed("SQL", execute)(sql, params, many, context)


def breakdown(client: Client) -> dict:
    """Per page: ms per request of SQL, ORM, templates and the rest (medians of rounds)."""
    from django.db.models.query import QuerySet
    from django.db.models.sql.compiler import SQLCompiler
    from django.template.backends.django import Template

    found = Breakdown()
    patched = [
        (QuerySet, "_fetch_all", "ORM"),
        (SQLCompiler, "execute_sql", "ORM"),
        (Template, "render", "templates"),
    ]
    originals = [(cls, name, getattr(cls, name)) for cls, name, _ in patched]
    for cls, name, category in patched:
        setattr(cls, name, found.timed(category, getattr(cls, name)))
    result = {}
    try:
        with connection.execute_wrapper(found.sql):
            for name, url in PAGES.items():
                rounds = []
                for _ in range(ARGS.rounds):
                    found.times = dict.fromkeys(found.times, 0.0)
                    total = sum(one(client, url)[0] for _ in range(ARGS.requests))
                    row = {k: 1000 * v / ARGS.requests for k, v in found.times.items()}
                    row["rest"] = 1000 * total / ARGS.requests - sum(row.values())
                    rounds.append(row)
                result[name] = {k: statistics.median(r[k] for r in rounds) for k in rounds[0]}
    finally:
        for cls, name, original in originals:
            setattr(cls, name, original)
    return result


def main() -> None:
    client = client_logged_in()
    if ARGS.profile:
        profile(client, PAGES[ARGS.profile])
        return
    for url in PAGES.values():  # warm-up: imports, template loading, caches
        for _ in range(3):
            one(client, url)
    cpu = {name: [] for name in PAGES}
    wall = {name: [] for name in PAGES}
    for _ in range(ARGS.rounds):
        for name, url in PAGES.items():
            times = [one(client, url) for _ in range(ARGS.requests)]
            wall[name].append(statistics.median(t[0] for t in times))
            cpu[name].append(statistics.median(t[1] for t in times))
    med = {name: (statistics.median(wall[name]), statistics.median(cpu[name])) for name in PAGES}
    base_wall, base_cpu = med["trivial"]
    rows = []
    print(f"{machine()}; {connection.vendor}; cache {settings.CACHES['default']['BACKEND']}")
    print(
        f"{'page':14} {'wall ms':>8} {'CPU ms':>7} {'queries':>7} {'SQL ms':>7}"
        f" {'wall ratio':>10} {'CPU ratio':>9}"
    )
    for name, url in PAGES.items():
        count, sql = queries_of(client, url)
        w, c = med[name]
        ratio, cpu_ratio = base_wall / w, base_cpu / c
        rows.append((name, w, c, count, sql, ratio, cpu_ratio))
        print(
            f"{name:14} {1000 * w:8.1f} {1000 * c:7.1f} {count:7d} {sql:7.1f}"
            f" {100 * ratio:9.1f}% {100 * cpu_ratio:8.1f}%"
        )
    if ARGS.results:
        write_results(rows)
    if ARGS.breakdown:
        parts = breakdown(client)
        print(
            "ms a request (wall):",
            "  ".join(f"{k:>9}" for k in ("SQL", "ORM", "templates", "rest")),
        )
        for name, row in parts.items():
            print(
                f"{name:20}",
                "  ".join(f"{row[k]:9.2f}" for k in ("SQL", "ORM", "templates", "rest")),
            )


def write_results(rows) -> None:
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    cells = " | ".join(
        f"{1000 * w:.1f} ms, CPU {1000 * c:.1f} ms, {n} q, SQL {s:.1f} ms:"
        f" {100 * r:.0f} % (CPU {100 * rc:.0f} %)"
        for name, w, c, n, s, r, rc in rows
        if name != "trivial"
    )
    trivial_row = rows[0]
    line = (
        f"| {now} | {machine()} | {connection.vendor} | {ARGS.label} | "
        f"{1000 * trivial_row[1]:.2f} ms (CPU {1000 * trivial_row[2]:.2f}) | {cells} |\n"
    )
    with open(ROOT / "bench" / "RESULTS.md", "a", encoding="utf-8") as results:
        results.write(line)
    print("RESULTS.md:", line.strip())


if __name__ == "__main__":
    main()
