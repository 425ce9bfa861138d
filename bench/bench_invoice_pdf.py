"""Benchmark of the invoice PDF's rendering (WeasyPrint): a PDF's time on one core, side by
side with the earlier way of rendering it, and invoices rendered per second per core, in
one process and in a pool of one process per CPU.

« before »: the earlier rendering, reproduced from the same HTML: the whole stylesheet
inline in the page (parsed again at every PDF) and a new font configuration each time.
« after »: `invoice_pdf_render` as it is. Both alternate, invoice by invoice, in the same
process after one warm-up each; medians of wall and CPU time. Each « after » PDF is checked
to lay out as its « before » one (the same pages, and on each the same texts at the same
places), so the speed changes nothing of what a PDF says.

« pool »: `invoice_pdfs_render_missing` with `os.cpu_count()` workers (one process per
CPU, each with its own database connection) keeping the PDFs of invoices that have none,
beside the same with one process; the rate per core is the invoices rendered per second
divided by the workers. « 15,000 invoices »: their PDFs at the pool's rate (extrapolated).

The invoices are seed 004's kind: an authority with its letterhead (address, a PNG logo,
payment recipient, SIRET), an account, three lines each.

Run: .venv/bin/python bench/bench_invoice_pdf.py [--invoices 20] [--pool 60] [--no-results]
     .venv/bin/python bench/bench_invoice_pdf.py --profile   (cProfile of one rendering)
Uses a database of its own (a SQLite file in a temporary folder by default; on the
PostgreSQL server of DATABASE_URL, levee_bench_invoice_pdf), made and dropped by Django's
test-database machinery, and a temporary folder for the kept PDFs. Appends the figures,
the date and the machine to the « Invoice PDF rendering » section of bench/RESULTS.md.
"""

import argparse
import cProfile
import datetime
import io
import os
import pstats
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
TMP = Path(tempfile.mkdtemp(prefix="levee-bench-invoice-pdf-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "levee.settings")
os.environ.setdefault("VAR_DIR", str(TMP))
os.environ["PRIVATE_ROOT"] = str(TMP / "private")
os.environ["MEDIA_ROOT"] = str(TMP / "media")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.files.base import ContentFile  # noqa: E402
from django.db import connection  # noqa: E402
from django.template.loader import render_to_string  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

SECTION = "## Invoice PDF rendering, per core and in a pool"
ROLE_SIZE = 15_000


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--invoices", type=int, default=20, help="PDFs rendered each way")
    parser.add_argument("--pool", type=int, default=60, help="invoices of the pool's run")
    parser.add_argument("--profile", action="store_true", help="profile one rendering")
    parser.add_argument("--no-results", action="store_true", help="print, do not append")
    return parser.parse_args()


def logo_png() -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (600, 200), (29, 78, 137))
    ImageDraw.Draw(image).rectangle((40, 40, 560, 160), outline=(255, 255, 255), width=8)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def world(count: int, first: int = 0) -> list:
    """CCFI with its letterhead, account 00001, `count` invoices."""
    from levee.billing.models import LineKind
    from levee.billing.tests.factories import make_invoice
    from levee.subscribers.models import Account
    from testkit import ccfi_world

    account = Account.objects.filter(code="00001").first()
    if account is None:
        authority, account = ccfi_world()
        authority.address = "468 rue de la Couronne de Bierne\nBP 30 049\n59190 HAZEBROUCK"
        authority.contact_phone = "03 74 54 00 00"
        authority.siret = "20004094700190"
        authority.payment_recipient = "Service de gestion comptable d'Hazebrouck"
        authority.payment_recipient_address = "2 rue de l'Église\n59190 HAZEBROUCK"
        authority.logo.save("ccfi.png", ContentFile(logo_png()), save=False)
        authority.save()
    return [
        make_invoice(
            account,
            number=f"2300240{69928 + first + n:06d}",
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


def render_before(invoice) -> tuple[bytes, object]:
    """The earlier rendering: the stylesheet inline, parsed at each PDF, new fonts."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    from levee.billing.pdf import _FETCHER_PROTOCOLS, invoice_pdf_context

    html = render_to_string("billing/invoice_pdf.html", invoice_pdf_context(invoice))
    css = render_to_string("billing/invoice_pdf.css")
    html = html.replace("<style>", f"<style>\n{css}\n", 1)
    document = HTML(string=html, url_fetcher=URLFetcher(allowed_protocols=_FETCHER_PROTOCOLS))
    rendered = document.render()
    return rendered.write_pdf(), rendered


def render_after(invoice) -> tuple[bytes, object]:
    from levee.billing import pdf

    rendered = pdf.invoice_pdf_document(invoice)
    return rendered.write_pdf(), rendered


def layout(document) -> list[list[tuple]]:
    """Each page's texts with their place (rounded to a hundredth of a point)."""
    pages = []
    for page in document.pages:
        texts = []
        stack = [page._page_box]
        while stack:
            box = stack.pop()
            text = getattr(box, "text", None)
            if text:
                texts.append((text, round(box.position_x, 2), round(box.position_y, 2)))
            stack.extend(getattr(box, "children", ()))
        pages.append(sorted(texts))
    return pages


def timed(function, invoice) -> tuple[float, float, object]:
    start, start_cpu = time.perf_counter(), time.process_time()
    _pdf, document = function(invoice)
    return time.perf_counter() - start, time.process_time() - start_cpu, document


def side_by_side(invoices) -> dict:
    render_before(invoices[0])  # fonts, templates, the first layout: outside the figures
    render_after(invoices[0])
    before, before_cpu, after, after_cpu = [], [], [], []
    for invoice in invoices:
        wall, cpu, old = timed(render_before, invoice)
        before.append(wall)
        before_cpu.append(cpu)
        wall, cpu, new = timed(render_after, invoice)
        after.append(wall)
        after_cpu.append(cpu)
        assert layout(new) == layout(old), f"invoice {invoice.number}: the layout changed"
    return {
        "before": statistics.median(before),
        "before_cpu": statistics.median(before_cpu),
        "after": statistics.median(after),
        "after_cpu": statistics.median(after_cpu),
    }


def pool_measure(count: int) -> dict:
    from levee.billing.models import Invoice
    from levee.billing.pdf import invoice_pdfs_render_missing

    figures = {}
    for workers in (1, os.cpu_count() or 1):
        invoices = world(count, first=10_000 * workers)
        ids = [invoice.pk for invoice in invoices]
        start = time.perf_counter()
        rendered = invoice_pdfs_render_missing(ids, workers=workers)
        seconds = time.perf_counter() - start
        assert rendered == count, rendered
        assert not Invoice.objects.filter(pk__in=ids, pdf="").exists()
        figures[workers] = seconds
    return figures


def profile(invoice) -> None:
    render_after(invoice)
    profiler = cProfile.Profile()
    profiler.enable()
    render_after(invoice)
    profiler.disable()
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(35)
    pstats.Stats(profiler).sort_stats("tottime").print_stats(25)


def main() -> None:
    args = arguments()
    setup_test_environment()
    test_settings = settings.DATABASES["default"].setdefault("TEST", {})
    if connection.vendor == "sqlite":
        test_settings["NAME"] = str(TMP / "bench.sqlite3")
    else:
        test_settings["NAME"] = "levee_bench_invoice_pdf"
    test_db = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        invoices = world(args.invoices)
        if args.profile:
            profile(invoices[0])
            return
        figures = side_by_side(invoices)
        pool = pool_measure(args.pool) if args.pool else {}
    finally:
        connection.creation.destroy_test_db(test_db, verbosity=0)
        shutil.rmtree(TMP, ignore_errors=True)

    import weasyprint
    from benchlib import machine

    cores = os.cpu_count() or 1
    if pool:
        one, many = pool[1], pool[cores]
        pool_text = (
            f"{args.pool / one:.1f}/s | {args.pool / many:.1f}/s ({args.pool / many / cores:.1f}"
            f"/s a core) | {ROLE_SIZE / (args.pool / many) / 60:.1f} min"
        )
    else:
        pool_text = "— | — | —"
    line = (
        f"| {datetime.datetime.now():%Y-%m-%d %H:%M} | {machine()} | {connection.vendor} | "
        f"WeasyPrint {weasyprint.__version__} | {args.invoices} | "
        f"{figures['before'] * 1000:.0f} ms (CPU {figures['before_cpu'] * 1000:.0f} ms, "
        f"{1 / figures['before_cpu']:.1f}/s a core) | "
        f"{figures['after'] * 1000:.0f} ms (CPU {figures['after_cpu'] * 1000:.0f} ms, "
        f"{1 / figures['after_cpu']:.1f}/s a core) | "
        f"{figures['before_cpu'] / figures['after_cpu']:.2f}× | {args.pool} | {pool_text} |"
    )
    print(line)
    if args.no_results:
        return
    results = ROOT / "bench" / "RESULTS.md"
    text = results.read_text()
    if SECTION not in text:
        text = text.rstrip("\n") + (
            f"\n\n{SECTION}\n\n"
            "`bench/bench_invoice_pdf.py`. « before »: the earlier rendering, reproduced "
            "from the same HTML (the whole stylesheet inline, parsed at every PDF, new fonts "
            "each time); « after »: `invoice_pdf_render` as it is (the stylesheet parsed "
            "once, one font configuration per thread). Alternating invoice by invoice in "
            "the same process after a warm-up, medians of wall and CPU time; each « after » "
            "PDF checked to lay out as its « before » one (same pages, same texts at the "
            "same places). Rate a core: 1 / CPU time. « pool »: `invoice_pdfs_render_missing` "
            "keeping the PDFs of a run's invoices, in one process, then in one process per "
            "CPU (each with its own database connection): invoices per second, wall time. "
            "« 15,000 invoices »: their PDFs at the pool's rate (extrapolated). The machine "
            "is shared: see its load.\n\n"
            "| date | machine | database | renderer | PDFs each way | before, a PDF | after, "
            "a PDF | CPU gain | pool run | one process | pool of one per CPU | "
            "15,000 invoices |\n"
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n"
        )
        results.write_text(text + line + "\n")
        return
    head, _, rest = text.partition(SECTION)
    section, next_heading, after = rest.partition("\n## ")
    lines = section.rstrip("\n").split("\n")
    last = max(i for i, row in enumerate(lines) if row.startswith("|"))
    lines.insert(last + 1, line)
    tail = f"\n{next_heading}{after}" if next_heading else ""
    results.write_text(head + SECTION + "\n".join(lines) + "\n" + tail)


if __name__ == "__main__":
    main()
