"""Serving a private file (a proof, an attachment) once a view has checked who asks."""

from django.http import FileResponse, Http404


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
