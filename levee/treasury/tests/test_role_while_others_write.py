"""The rôle is written while other people use the portal: on SQLite, a read left open while
the writer renders a PDF or records its progress made the next write fail (« database is
locked »), the writer's own and another person's. The writer keeps no query open while it
calls back: another connection writes then to the very table it reads."""

import datetime
import threading

import pytest
from django.db import connections

from levee.billing.models import Invoice
from levee.treasury.pes import FileSpec, file_totals, pes_file_write, titled_invoices
from levee.treasury.pes_check import pes_check
from testkit import ccfi_world

from .builders import another_account, pes_settings, published_run, run_invoice

D = datetime.date


def written_elsewhere(invoice_id: int, note: str) -> list:
    """What another person's request does meanwhile, on its own connection: a write to an
    invoice of the run. Returns the error it met, if any."""
    errors: list = []

    def write():
        try:
            Invoice.objects.filter(pk=invoice_id).update(payer_address=note)
        except Exception as error:  # reported to the test
            errors.append(error)
        finally:
            connections.close_all()

    thread = threading.Thread(target=write)
    thread.start()
    thread.join(timeout=30)
    return errors


@pytest.mark.django_db(transaction=True)
def test_others_write_while_the_role_renders_its_pdfs_and_tells_its_progress(tmp_path):
    authority, account = ccfi_world()
    settings = pes_settings(authority, attach_pdfs=True)
    run = published_run(authority)
    invoices = [
        run_invoice(run, account, 1),
        run_invoice(run, another_account(authority, "00002"), 2),
        run_invoice(run, another_account(authority, "00003"), 3),
    ]
    ids = list(titled_invoices(run).values_list("pk", flat=True))
    spec = FileSpec(
        run=run,
        settings=settings,
        year=2026,
        bordereau=1,
        name=f"PESORMC_{settings.siret}_2026_0000001_20261206100000",
        first_id=ids[0],
        last_id=ids[-1],
        generated_on=D(2026, 12, 6),
        stamp="20261206100000",
    )
    file_totals(spec)
    errors: list = []
    heard: list[int] = []

    def pdf_of(invoice) -> bytes:
        errors.extend(written_elsewhere(invoices[-1].pk, f"PDF {invoice.number}"))
        # The writer's own write on its connection, as keeping the invoice's PDF does.
        Invoice.objects.filter(pk=invoice.pk).update(updated_at=invoice.updated_at)
        return b"%PDF-1.7 " + invoice.number.encode()

    def progress(done: int) -> None:
        errors.extend(written_elsewhere(invoices[0].pk, f"progress {done}"))
        heard.append(done)

    path = tmp_path / "role.xml"
    counts = pes_file_write(spec, str(path), pdf_of=pdf_of, progress=progress, chunk_size=2)

    assert errors == []
    assert heard == [2, 3]  # each chunk, then the end
    assert (counts.pieces, counts.attachments) == (3, 3)
    assert Invoice.objects.get(pk=invoices[-1].pk).payer_address == f"PDF {invoices[-1].number}"
    assert pes_check(path) == []
