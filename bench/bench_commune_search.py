"""Benchmark of flow 1's autocomplete: the commune search on the full list (34,969
communes), through the JSON endpoint, against the same lookup done in plain Python over an
in-memory list (the reference: what no database round trip costs).

Run: .venv/bin/python bench/bench_commune_search.py  (uses DATABASE_URL, SQLite by default)
Appends the figures, the date and the machine to bench/RESULTS.md. Goal: under 50 ms.
"""

import os
import platform
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "levee.settings")
os.environ.setdefault("VAR_DIR", str(ROOT / "var" / "bench"))

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from levee.authorities.models import Commune  # noqa: E402
from levee.lib.text import fold  # noqa: E402

QUERIES = [
    "pelussin",
    "42410",
    "saint",
    "st etienne",
    "bailleul",
    "59",
    "hazeb",
    "paris",
    "mar",
    "lyon",
]
ROUNDS = 20


def main() -> None:
    Path(os.environ["VAR_DIR"]).mkdir(parents=True, exist_ok=True)
    setup_test_environment()
    call_command("migrate", verbosity=0)
    call_command("communes_load", verbosity=0)
    client = Client()
    timings = []
    for _ in range(ROUNDS):
        for q in QUERIES:
            start = time.perf_counter()
            response = client.get("/communes/recherche", {"q": q})
            timings.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200
    names = [(fold(n), n) for n in Commune.objects.values_list("name", flat=True)]
    reference = []
    for _ in range(ROUNDS):
        for q in QUERIES:
            start = time.perf_counter()
            key = fold(q)
            [n for f, n in names if f.startswith(key)][:10]
            reference.append((time.perf_counter() - start) * 1000)
    engine = django.db.connection.vendor
    line = (
        f"| {datetime.now():%Y-%m-%d %H:%M} | {platform.node()} ({platform.machine()}, {os.cpu_count()} CPU, "
        f"Python {platform.python_version()}) | {engine} | "
        f"{statistics.median(timings):.1f} ms | {sorted(timings)[int(len(timings) * 0.95)]:.1f} ms | "
        f"{statistics.median(reference):.1f} ms |"
    )
    results = ROOT / "bench" / "RESULTS.md"
    header = (
        "\n## Commune search (flow 1 autocomplete), goal < 50 ms\n\n"
        "| date | machine | database | endpoint median | endpoint p95 | in-memory scan median (reference) |\n"
        "| --- | --- | --- | --- | --- | --- |\n"
    )
    text = results.read_text() if results.exists() else "# Benchmark results\n"
    if "## Commune search" not in text:
        text += header
    results.write_text(text.rstrip("\n") + "\n" + line + "\n")
    print(line)


if __name__ == "__main__":
    main()
