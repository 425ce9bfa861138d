"""Benchmark of the PDF duplicata (Mes factures): the time to first byte of
`/<slug>/espace/mes-factures/<pk>/duplicata.pdf` over real HTTP, the first request of each
invoice (WeasyPrint renders the PDF and keeps it) beside the second (the kept file is
served), and WeasyPrint's rendering alone for reference.

The invoices are seed 004's kind: an authority with its letterhead (address, logo, payment
recipient, SIRET), an account, three lines each. Django serves them from a threaded WSGI
server on 127.0.0.1 in this process (as the browser tests' live server); the client sends
the logged-in resident's session cookie and times, for each request, the moment the first
byte of the body arrives (headers included before it) and the last.

Run: .venv/bin/python bench/bench_duplicata.py [--invoices 30] [--no-results]
Uses a database of its own (levee_bench_duplicata on PostgreSQL), made and dropped by
Django's test-database machinery on the server of DATABASE_URL (SQLite by default), and a temporary folder for the kept PDFs.
Appends the figures, the date and the machine to the « Duplicata » section of
bench/RESULTS.md.
"""

import argparse
import datetime
import http.client
import io
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TMP = Path(tempfile.mkdtemp(prefix="levee-bench-duplicata-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "levee.settings")
os.environ.setdefault("VAR_DIR", str(TMP))
os.environ["PRIVATE_ROOT"] = str(TMP / "private")
os.environ["MEDIA_ROOT"] = str(TMP / "media")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.files.base import ContentFile  # noqa: E402
from django.core.handlers.wsgi import WSGIHandler  # noqa: E402
from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

SECTION = "## Duplicata (PDF), time to first byte"


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--invoices", type=int, default=30)
    parser.add_argument("--no-results", action="store_true", help="print, do not append")
    return parser.parse_args()


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


def logo_png() -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (600, 200), (29, 78, 137))
    ImageDraw.Draw(image).rectangle((40, 40, 560, 160), outline=(255, 255, 255), width=8)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def world(count: int):
    """CCFI with its letterhead, account 00001 and its login, `count` invoices."""
    from levee.billing.models import LineKind
    from levee.billing.tests.factories import make_invoice
    from testkit import ccfi_world, make_user

    authority, account = ccfi_world()
    authority.address = "468 rue de la Couronne de Bierne\nBP 30 049\n59190 HAZEBROUCK"
    authority.contact_phone = "03 74 54 00 00"
    authority.siret = "20004094700190"
    authority.payment_recipient = "Service de gestion comptable d'Hazebrouck"
    authority.payment_recipient_address = "2 rue de l'Église\n59190 HAZEBROUCK"
    authority.logo.save("ccfi.png", ContentFile(logo_png()), save=False)
    authority.save()
    invoices = [
        make_invoice(
            account,
            number=f"2300240{69928 + n:06d}",
            issued_on=datetime.date(2023, 7, 2),
            total_cents=8794,
            lines=[
                ("Abonnement Bac 120 L du 01/01/2023 au 31/12/2023", 1, 2144, 2144),
                ("Levées incluses dans le forfait : 12 sur 12", 12, 0, 0, LineKind.INCLUDED),
                ("19 levées supplémentaires × 3,50 €", 19, 350, 6650, LineKind.EXTRA),
            ],
        )
        for n in range(count)
    ]
    client = Client()
    client.force_login(make_user("dupont59@gmail.com", accounts=[account]))
    return authority, invoices, client.cookies[settings.SESSION_COOKIE_NAME].value


def timed_get(port: int, path: str, cookie: str) -> tuple[float, float, bytes]:
    """(ms to the body's first byte, ms to its last, the body) of one GET."""
    conn = http.client.HTTPConnection("127.0.0.1", port)
    start = time.perf_counter()
    conn.request("GET", path, headers={"Cookie": f"{settings.SESSION_COOKIE_NAME}={cookie}"})
    response = conn.getresponse()
    first = response.read(1)
    ttfb = (time.perf_counter() - start) * 1000
    body = first + response.read()
    total = (time.perf_counter() - start) * 1000
    conn.close()
    assert response.status == 200, (response.status, path)
    assert response.getheader("Content-Type") == "application/pdf"
    return ttfb, total, body


def p95(values: list[float]) -> float:
    return sorted(values)[min(len(values) - 1, int(len(values) * 0.95))]


def main() -> None:
    args = arguments()
    setup_test_environment()
    test_settings = settings.DATABASES["default"].setdefault("TEST", {})
    if connection.vendor == "sqlite":
        test_settings["NAME"] = str(TMP / "bench.sqlite3")
    else:
        test_settings["NAME"] = "levee_bench_duplicata"
    test_db = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    server = None
    try:
        authority, invoices, cookie = world(args.invoices)
        from levee.billing.pdf import invoice_pdf_render

        # WeasyPrint's first use loads fonts and styles: one warm-up outside the figures.
        invoice_pdf_render(invoices[0])
        rendering, rendering_cpu = [], []
        for invoice in invoices[: min(10, len(invoices))]:
            start, start_cpu = time.perf_counter(), time.process_time()
            invoice_pdf_render(invoice)
            rendering.append((time.perf_counter() - start) * 1000)
            rendering_cpu.append((time.process_time() - start_cpu) * 1000)

        server = ThreadedWSGIServer(("127.0.0.1", 0), QuietHandler, allow_reuse_address=False)
        server.set_app(WSGIHandler())
        threading.Thread(target=server.serve_forever, daemon=True).start()
        port = server.server_address[1]
        first_ttfb, first_total, kept_ttfb, kept_total, sizes = [], [], [], [], []
        for invoice in invoices:
            path = f"/{authority.slug}/espace/mes-factures/{invoice.pk}/duplicata.pdf"
            ttfb, total, body = timed_get(port, path, cookie)
            assert body.startswith(b"%PDF-")
            first_ttfb.append(ttfb)
            first_total.append(total)
            sizes.append(len(body))
            ttfb, total, again = timed_get(port, path, cookie)
            assert again == body  # the kept file
            kept_ttfb.append(ttfb)
            kept_total.append(total)
    finally:
        if server is not None:
            server.shutdown()
            server.server_close()
        connection.creation.destroy_test_db(test_db, verbosity=0)

    load = os.getloadavg()[0]
    machine = (
        f"{platform.node()} ({platform.machine()}, {os.cpu_count()} CPU, "
        f"Python {platform.python_version()}; load {load:.1f})"
    )
    import weasyprint

    line = (
        f"| {datetime.datetime.now():%Y-%m-%d %H:%M} | {machine} | {connection.vendor} | "
        f"WeasyPrint {weasyprint.__version__} | {len(invoices)} | "
        f"{statistics.median(first_ttfb):.0f} / {p95(first_ttfb):.0f} ms | "
        f"{statistics.median(kept_ttfb):.1f} / {p95(kept_ttfb):.1f} ms | "
        f"{statistics.median(kept_total):.1f} ms | "
        f"{statistics.median(rendering):.0f} ms (CPU {statistics.median(rendering_cpu):.0f} ms) | "
        f"{statistics.median(sizes) / 1024:.0f} KB |"
    )
    print(line)
    if args.no_results:
        return
    results = ROOT / "bench" / "RESULTS.md"
    text = results.read_text() if results.exists() else "# Benchmark results\n"
    if SECTION not in text:
        text = text.rstrip("\n") + (
            f"\n\n{SECTION}\n\n"
            "`bench/bench_duplicata.py`. Over real HTTP to a threaded WSGI server on 127.0.0.1 "
            "in the same process, the logged-in resident's session cookie; per invoice the "
            "first request (WeasyPrint renders the PDF, it is kept in private storage, then "
            "served) and the second (the kept file is served). « TTFB »: from sending the "
            "request to the first byte of the body, median / p95. « rendering alone »: "
            "`invoice_pdf_render` in-process after one warm-up, median of 10, wall time and "
            "the process's CPU time (the machine is shared: the load in the machine column "
            "says how much wall time other work took). The invoices "
            "carry seed 004's letterhead (address, a PNG logo, payment recipient, SIRET) and "
            "three lines.\n\n"
            "| date | machine | database | renderer | invoices | first request TTFB "
            "(rendered and kept) | second request TTFB (kept file) | second request, whole "
            "body | rendering alone | PDF size |\n"
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n"
        )
        results.write_text(text + line + "\n")
        return
    # Append the row at the end of the section's table.
    head, _, rest = text.partition(SECTION)
    section, next_heading, after = rest.partition("\n## ")
    lines = section.rstrip("\n").split("\n")
    last = max(i for i, row in enumerate(lines) if row.startswith("|"))
    lines.insert(last + 1, line)
    tail = f"\n{next_heading}{after}" if next_heading else ""
    results.write_text(head + SECTION + "\n".join(lines) + "\n" + tail)


if __name__ == "__main__":
    main()
