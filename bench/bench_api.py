"""Benchmark of the API on PostgreSQL (issue 16): the lifts of an account with ten years of
history read through `GET /api/v1/accounts/<id>/lifts`, and a 10,000-lift push through
`POST /api/v1/authority/lifts` beside the CSV import of the same rows. Goals: the same
number of queries for the first page and a deep one, p95 per page under 50 ms at 10 M
lifts; the push within 1.5 times the CSV import.

The data is bench_production_page.py's, built by its own functions (imported, not copied):
100,000 accounts and 10,000,000 lifts written by SQL, account 000000 with 520 weekly
household-waste lifts and 260 fortnightly recyclables lifts over ten years. Its lifts are
read with a personal token, in-process through Django's test Client (server time, no
network), in pages of 50 (`limite=50`, so that ten `next` cursors exist among its 780
lifts): the first page, the same at the default limit (100), the page reached by following
`next` ten times, and a filtered page (last year, household waste). Beside them, measured in
the same run: « Mes bacs/levées » of the same account (a session) and a trivial view (an
HttpResponse behind the same middleware). Median and p95 of --requests after --warmups, and
the queries of one request.

The push: 10,000 lifts of yesterday on 10,000 generated household-waste bins, by chip, as a
truck's software sends them (JSON), against the same 10,000 rows as a CSV file through
`lift_import`, the code the back office's imports run (as bench_lift_import.py runs it);
alternated A B A B over --rounds after one untimed round of each, the lifts deleted after
each run; then the same batch pushed again (idempotent: nothing added) beside the same file
imported again. With --profile (or when the ratio misses 1.5), the push's cProfile.

Run: .venv/bin/python bench/bench_api.py [--accounts 100000] [--lifts 10000000]
It drops and recreates its own database (levee_bench_api, or --database) on the PostgreSQL
server of DATABASE_URL (default postgres://postgres@127.0.0.1:5432), migrates it, and writes
the figures, the date, the machine and the commit to bench/RESULTS.md (--no-results for a
trial run). The database is dropped at the end unless --keep; --reuse measures again on a
kept database without generating it anew.
"""

import argparse
import cProfile
import datetime
import io
import json
import os
import pstats
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchlib import database_drop, database_recreate, machine, server_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "levee.settings")
os.environ.setdefault("VAR_DIR", str(ROOT / "var" / "bench"))
os.environ["ALLOWED_HOSTS"] = "testserver"
os.environ["STATIC_MANIFEST"] = "0"

GOAL_MS = 50.0
GOAL_RATIO = 1.5
PUSHED = 10_000
PAGE_SIZE = 50
DEEP = 10  # `next` cursors followed to the deep page
# Calls per token and per minute that the API allows (levee/api/auth.py): each view is read
# with a token of its own, so that one view's calls never reach it.
TOKEN_CALLS = 120


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--lifts", type=int, default=10_000_000, help="all lifts, in total")
    parser.add_argument("--communes", type=int, default=5)
    parser.add_argument("--requests", type=int, default=50, help="timed requests per view")
    parser.add_argument("--warmups", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3, help="push / CSV import pairs")
    parser.add_argument("--profile", action="store_true", help="cProfile one push")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--reuse", action="store_true", help="measure on the database a --keep run left"
    )
    parser.add_argument("--no-results", action="store_true", help="do not write RESULTS.md")
    parser.add_argument(
        "--database",
        default="levee_bench_api",
        help="the database to (re)create, your own on a shared server (levee_bench_api_<you>)",
    )
    args = parser.parse_args()
    if args.accounts < 10:
        parser.error("--accounts: at least 10")
    if args.requests + args.warmups + DEEP + 1 > TOKEN_CALLS:
        parser.error(f"--requests + --warmups: at most {TOKEN_CALLS - DEEP - 1}")
    return args


ARGS = arguments()
SERVER = server_url()
os.environ["DATABASE_URL"], ARGS.reuse = database_recreate(SERVER, ARGS.database, reuse=ARGS.reuse)

# bench_production_page reads its command line when imported (and sets Django up on the
# database it is given): it gets this run's scale and this database, created just above,
# to be taken as it is (--reuse).
_argv = sys.argv
sys.argv = [
    "bench_production_page.py",
    *("--accounts", str(ARGS.accounts), "--lifts", str(ARGS.lifts)),
    *("--communes", str(ARGS.communes), "--database", ARGS.database, "--reuse"),
    *("--requests", str(ARGS.requests), "--warmups", str(ARGS.warmups)),
]
import bench_production_page as production  # noqa: E402

sys.argv = _argv

from django.conf import settings  # noqa: E402
from django.core.files import File  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connections  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import include, path  # noqa: E402
from django.utils import timezone  # noqa: E402

from levee.accounts.models import User  # noqa: E402
from levee.collection.importers import lift_import  # noqa: E402
from levee.collection.models import Bin, ImportBatch, ImportStatus, Lift  # noqa: E402
from levee.integrations.services import api_key_create  # noqa: E402
from levee.tokens.services import token_create  # noqa: E402


def trivial(request):
    return HttpResponse("ok", content_type="text/plain")


# This module is the URLconf: the portal's URLs and the trivial view, on the same stack.
urlpatterns = [path("bench-trivial/", trivial), path("", include("levee.urls"))]
settings.ROOT_URLCONF = __name__


def token_client(user) -> Client:
    """A client sending a new personal token of `user` (a token per view: see TOKEN_CALLS)."""
    secret = token_create(user=user, name="Banc d'essai").secret
    return Client(headers={"Authorization": f"Bearer {secret}"})


def api_views(user, account, today: datetime.date) -> dict:
    """The API's URLs measured, the deep one reached by following `next` DEEP times."""
    base = f"/api/v1/accounts/{account.pk}/lifts"
    first = f"{base}?limite={PAGE_SIZE}"
    client, url = token_client(user), first
    for _ in range(DEEP):
        page = json.loads(production.fetch(client, url))
        assert page["next"], f"fewer than {DEEP + 1} pages of {PAGE_SIZE}"
        url = page["next"].removeprefix("http://testserver")
    year = today.year - 1
    return {
        "first page": first,
        "first page, 100": base,
        f"page {DEEP + 1}": url,
        "filtered": f"{base}?limite={PAGE_SIZE}&flux=ordures_menageres"
        f"&depuis={year}-01-01&jusqu_au={year}-12-31",
    }


def pages_measure(world: dict, today: datetime.date) -> dict:
    account = world["measured"]
    session = production.client_for(account, "dix.ans@example.org")
    user = User.objects.get(email="dix.ans@example.org")
    figures = {}
    for name, url in api_views(user, account, today).items():
        figures[name] = production.measure(token_client(user), url)
    figures["« Mes bacs/levées »"] = production.measure(session, production.PAGE)
    figures["trivial"] = production.measure(session, "/bench-trivial/")
    for name, r in figures.items():
        print(
            f"{name:<22} median {r['median']:6.1f} ms  p95 {r['p95']:6.1f} ms  "
            f"(Python CPU {r['cpu']:5.1f} ms)  {r['queries']} queries ({r['sql_ms']:.1f} ms of SQL)",
            flush=True,
        )
    # The pages hold what they should.
    first = json.loads(figures["first page"]["body"])
    deep = json.loads(figures[f"page {DEEP + 1}"]["body"])
    filtered = json.loads(figures["filtered"]["body"])
    assert len(first["items"]) == PAGE_SIZE and first["next"]
    assert len(json.loads(figures["first page, 100"]["body"])["items"]) == 100
    assert deep["items"] and deep["items"][0]["lifted_at"] < first["items"][-1]["lifted_at"]
    assert filtered["items"] and all(
        i["flux"] == "ordures_menageres" and i["lifted_at"].startswith(str(today.year - 1))
        for i in filtered["items"]
    )
    return figures


def pushed_rows(authority, today: datetime.date) -> list[dict]:
    """PUSHED lifts of yesterday, two seconds apart, on the household-waste bins in turn
    (one lift each among 100,000 accounts; the two accounts looked at left out)."""
    chips = list(
        Bin.objects.filter(authority=authority, flux="ordures_menageres")
        .exclude(account__code__in=["000000", "000001"])
        .order_by("pk")
        .values_list("chip_number", flat=True)[:PUSHED]
    )
    rng = random.Random(16)
    start = datetime.datetime.combine(today - datetime.timedelta(days=1), datetime.time(5, 3))
    return [
        {
            "horodatage": f"{start + datetime.timedelta(seconds=2 * n):%Y-%m-%d %H:%M:%S}",
            "puce": chip,
            "cuve": "",
            "flux": "om",
            "poids_kg": rng.randint(3000, 25000) / 1000,
            "vehicule": f"BOM-{n % 7}",
        }
        for n, chip in ((n, chips[n % len(chips)]) for n in range(PUSHED))
    ]


def csv_of(rows: list[dict]) -> bytes:
    out = io.StringIO()
    out.write("horodatage;puce;cuve;flux;poids_kg;vehicule\n")
    for r in rows:
        weight = f"{r['poids_kg']:.3f}".replace(".", ",")
        out.write(
            f"{r['horodatage']};{r['puce']};{r['cuve']};{r['flux']};{weight};{r['vehicule']}\n"
        )
    return out.getvalue().encode()


class Pusher:
    def __init__(self, authority, rows: list[dict], folder: Path):
        admin = User.objects.filter(email="admin.banc@example.org").first()
        if admin is None:
            admin = User.objects.create_user("admin.banc@example.org", "Banc2essai@")
        _, raw = api_key_create(
            authority=authority, name="Camions du banc", scopes=["lifts:write"], created_by=admin
        )
        self.authority = authority
        self.client = Client(headers={"Authorization": f"Bearer {raw}"})
        self.body = json.dumps({"items": rows})
        self.file = folder / "levees.csv"
        self.file.write_bytes(csv_of(rows))

    def push(self, *, new: bool) -> tuple[float, int]:
        started = time.perf_counter()
        response = self.client.post(
            "/api/v1/authority/lifts", self.body, content_type="application/json"
        )
        elapsed = time.perf_counter() - started
        assert response.status_code == 200, response.content[:500]
        body = response.json()
        assert body["rejected"] == 0, body["results"][:3]
        assert body["imported"] + body["unchanged"] == PUSHED
        assert (body["imported"] > 0) == new, body["imported"]
        return elapsed, body["import_id"]

    def import_csv(self, *, new: bool) -> tuple[float, int]:
        started = time.perf_counter()
        with self.file.open("rb") as handle:
            batch = lift_import(
                authority=self.authority,
                file=File(handle, name=str(self.file)),
                filename="levees.csv",
            )
        elapsed = time.perf_counter() - started
        assert batch.status == ImportStatus.DONE, batch.message
        assert batch.rows_rejected == 0 and (batch.rows_imported > 0) == new
        return elapsed, batch.pk

    def undo(self, batch_id: int) -> None:
        """The lifts of a run taken out again (untimed), so that the next run adds them."""
        deleted, _ = Lift.objects.filter(import_batch_id=batch_id).delete()
        assert deleted > 0


def pushes_measure(authority, today: datetime.date) -> dict:
    rows = pushed_rows(authority, today)
    with tempfile.TemporaryDirectory() as tmp:
        pusher = Pusher(authority, rows, Path(tmp))
        runs = {"push": [], "CSV import": []}
        for round_ in range(ARGS.rounds + 1):  # round 0: warm-up, untimed
            for name, run in (("push", pusher.push), ("CSV import", pusher.import_csv)):
                seconds, batch_id = run(new=True)
                pusher.undo(batch_id)
                if round_:
                    runs[name].append(seconds)
                    print(f"  round {round_} {name}: {seconds:.2f} s", flush=True)
        _, batch_id = pusher.push(new=True)
        again = {"re-push": [], "CSV re-import": []}
        for _ in range(ARGS.rounds):
            again["re-push"].append(pusher.push(new=False)[0])
            again["CSV re-import"].append(pusher.import_csv(new=False)[0])
        profile = None
        push_seconds = statistics.median(runs["push"])
        csv_seconds = statistics.median(runs["CSV import"])
        if ARGS.profile or push_seconds > GOAL_RATIO * csv_seconds:
            pusher.undo(batch_id)
            profiler = cProfile.Profile()
            profiler.enable()
            _, batch_id = pusher.push(new=True)
            profiler.disable()
            profile = io.StringIO()
            pstats.Stats(profiler, stream=profile).sort_stats("cumulative").print_stats(30)
        pusher.undo(batch_id)
        ImportBatch.objects.filter(authority=authority).delete()
    figures = {name: statistics.median(times) for name, times in {**runs, **again}.items()}
    for name, seconds in figures.items():
        print(f"{name:<14} median {seconds:.2f} s", flush=True)
    if profile is not None:
        print("cProfile of one push (cumulative):")
        print(profile.getvalue())
    return figures


def commit() -> str:
    found = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    )
    return found.stdout.strip() or "?"


def results_write(line: str) -> None:
    results = ROOT / "bench" / "RESULTS.md"
    title = "## API: an account's lifts over ten years, a 10,000-lift push (PostgreSQL)"
    text = results.read_text(encoding="utf-8") if results.exists() else "# Benchmark results\n"
    if title not in text:
        text = text.rstrip("\n") + (
            f"\n\n{title}\n\n"
            "`bench/bench_api.py` (issue 16), on bench_production_page.py's data (written by "
            "SQL; the measured account has 520 weekly household-waste lifts and 260 "
            "fortnightly recyclables lifts over ten years). Server time: requests through "
            "Django's test Client, in-process (no network), median / p95 of 50 after 5 "
            "warm-ups. `GET /api/v1/accounts/<id>/lifts` with a personal token, pages of 50 "
            "(`limite=50`): the first page, the first page at the default limit (100), page "
            "11 (`next` followed ten times), a filtered page (last year, household waste); "
            "beside them, in the same run, « Mes bacs/levées » (default view, a session) and "
            "a trivial view. Queries: one request of each (first · 100 · page 11 · "
            "filtered; the first page and page 11 must be equal). The push: 10,000 lifts "
            "of yesterday on 10,000 bins, by chip, one `POST /api/v1/authority/lifts` (JSON), "
            "against `lift_import` of the same rows as a CSV file (what the back office's "
            "imports run), alternated A B A B, 3 rounds after an untimed one, the lifts "
            "deleted after each run; « again »: the same batch pushed / imported a second "
            "time (adds nothing). Goals: p95 of the API pages under 50 ms and constant "
            "queries; push ≤ 1.5 × the CSV import. The load average in the machine column "
            "says how busy the (shared) machine was.\n\n"
            "| date | machine | commit | accounts / bins / lifts | data load | first page "
            "median / p95 | first page, 100 | page 11 | filtered | queries | « Mes "
            "bacs/levées » | trivial | push | CSV import | push / CSV | again: push / CSV "
            "| goal |\n"
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | "
            "--- | --- | --- | --- |\n"
        )
    start = text.index(title)
    end = text.find("\n## ", start)
    end = len(text) if end == -1 else end
    last_row = text.rfind("\n|", start, end)
    cut = text.index("\n", last_row + 1) + 1 if "\n" in text[last_row + 1 : end] else end
    text = text[:cut] + line + "\n" + text[cut:]
    results.write_text(text, encoding="utf-8")


def main() -> None:
    Path(os.environ["VAR_DIR"]).mkdir(parents=True, exist_ok=True)
    today = timezone.localdate()
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)  # the API's limits, without Redis
    print(f"Migrated in {time.perf_counter() - started:.1f} s", flush=True)
    started = time.perf_counter()
    world = production.world_reuse() if ARGS.reuse else production.world_create(today)
    load_seconds = time.perf_counter() - started
    for step, seconds in world["timings"].items():
        print(f"  {step}: {seconds:.1f} s", flush=True)
    print(
        f"{world['accounts']:,} accounts, {world['bins']:,} bins, {world['lifts']:,} lifts "
        f"in {load_seconds:.1f} s",
        flush=True,
    )
    production.tariff_ensure(world["authority"], today.year)

    pages = pages_measure(world, today)
    api = ["first page", "first page, 100", f"page {DEEP + 1}", "filtered"]
    counts = [pages[name]["queries"] for name in api]
    print("Queries per page (first · 100 · page 11 · filtered):", " · ".join(map(str, counts)))
    assert counts[0] == counts[2], "the first page and a deep page must cost the same queries"
    for ms, sql in pages["first page"]["slowest"]:
        print(f"  {ms:.1f} ms  {sql[:300]}")

    print(f"Push of {PUSHED:,} lifts and CSV import of the same rows…", flush=True)
    push = pushes_measure(world["authority"], today)
    ratio = push["push"] / push["CSV import"]
    worst = max(pages[name]["p95"] for name in api)
    pages_ok = worst < GOAL_MS and len(set(counts)) == 1
    ratio_ok = ratio <= GOAL_RATIO

    def pair(name):
        return f"{pages[name]['median']:.1f} / {pages[name]['p95']:.1f} ms"

    verdict = []
    verdict.append(f"pages {'✅' if pages_ok else '❌'} (worst p95 {worst:.1f} ms)")
    verdict.append(
        f"push {'✅' if ratio_ok else '❌'} ({ratio:.2f} ×"
        + ("" if ratio_ok else f", {ratio / GOAL_RATIO - 1:.0%} over 1.5 ×")
        + ")"
    )
    line = (
        f"| {datetime.datetime.now():%Y-%m-%d %H:%M} | {machine()} | {commit()} | "
        f"{world['accounts']:,} / {world['bins']:,} / {world['lifts']:,} | "
        f"{'reused' if ARGS.reuse else f'{load_seconds:.0f} s'} | "
        f"{pair('first page')} | {pair('first page, 100')} | {pair(f'page {DEEP + 1}')} | "
        f"{pair('filtered')} | {' · '.join(map(str, counts))} | "
        f"{pair('« Mes bacs/levées »')} | {pair('trivial')} | "
        f"{push['push']:.2f} s | {push['CSV import']:.2f} s | {ratio:.2f} | "
        f"{push['re-push']:.2f} s / {push['CSV re-import']:.2f} s | {'; '.join(verdict)} |"
    )
    print(line)
    if not ARGS.no_results:
        results_write(line)

    connections.close_all()
    if ARGS.keep:
        print(f"Database {ARGS.database} kept.")
    else:
        database_drop(SERVER, ARGS.database)


if __name__ == "__main__":
    main()
