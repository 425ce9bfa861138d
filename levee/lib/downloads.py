"""Serving a private file (a proof, an attachment) once a view has checked who asks, and
streaming a CSV export."""

import csv
from collections.abc import Iterable

from django.http import FileResponse, Http404, StreamingHttpResponse

from levee.lib.spreadsheet import csv_cell


def private_file_response(file, *, content_type: str) -> FileResponse:
    """Inline, never sniffed, never cached, sandboxed: an uploaded file cannot run script in
    the portal's origin even if it lies about its type."""
    try:
        handle = file.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404
    response = FileResponse(handle, content_type=content_type)
    response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = (
        "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Frame-Options"] = "SAMEORIGIN"
    return response


class _Echo:
    def write(self, value):
        return value


def csv_response(rows: Iterable, filename: str, header: list[str]) -> StreamingHttpResponse:
    """A CSV download streamed row by row: « ; » separated, UTF-8 with a BOM (so Excel reads
    it as UTF-8), every text cell safe from formula injection (`csv_cell`)."""
    writer = csv.writer(_Echo(), delimiter=";")

    def lines():
        yield "\ufeff" + writer.writerow(header)
        for row in rows:
            yield writer.writerow([csv_cell(value) for value in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
