"""Uploaded proofs (justificatifs): PDF, JPEG or PNG, at most 5 MB, checked by content; and
the refusal of an upload over its limit from its Content-Length, before its body is read."""

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.shortcuts import render
from django.utils.datastructures import MultiValueDict
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_protect

SIGNATURES = {
    "application/pdf": (b"%PDF-",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
}
EXTENSIONS = {
    ".pdf": "application/pdf",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
}


@dataclass(frozen=True)
class CheckedFile:
    content_type: str
    extension: str


def check_proof(upload) -> CheckedFile:
    """Returns the real type of an uploaded proof, or raises ValidationError in French."""
    if upload is None:
        raise ValidationError("Joignez un justificatif (PDF, JPEG ou PNG).", code="required")
    if upload.size == 0:
        raise ValidationError("Le fichier envoyé est vide.", code="empty")
    if upload.size > settings.PROOF_MAX_BYTES:
        max_mb = settings.PROOF_MAX_BYTES // (1024 * 1024)
        raise ValidationError(
            f"Le fichier dépasse la taille maximale de {max_mb} Mo.", code="too_large"
        )
    name = (upload.name or "").lower()
    extension = "." + name.rsplit(".", 1)[-1] if "." in name else ""
    expected = EXTENSIONS.get(extension)
    if expected is None:
        raise ValidationError(
            "Le justificatif doit être un fichier PDF, JPEG ou PNG.", code="extension"
        )
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    actual = next(
        (ctype for ctype, sigs in SIGNATURES.items() if any(head.startswith(s) for s in sigs)), None
    )
    if actual != expected:
        raise ValidationError(
            "Le contenu du fichier ne correspond pas à son extension : envoyez un vrai PDF, JPEG ou PNG.",
            code="content",
        )
    if actual != "application/pdf":
        _check_image(upload)
    return CheckedFile(content_type=actual, extension=extension)


def _check_image(upload) -> None:
    from PIL import Image

    try:
        with Image.open(upload) as image:
            image.verify()
    except Exception:
        raise ValidationError("L'image envoyée est illisible ou endommagée.", code="corrupt")
    finally:
        upload.seek(0)


# Room for the multipart envelope around the files (boundaries, the other fields, part headers).
MULTIPART_MARGIN = 64 * 1024


def megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} Mo".replace(".", ",")


def content_length(request) -> int:
    """The size the client announces for its body (0 when absent or unreadable)."""
    try:
        return max(int(request.META.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0


def proofs_max_bytes(count: int = 1) -> Callable[[], int]:
    """The limit of a form holding `count` proofs at most (read at each request, so that a
    changed PROOF_MAX_BYTES applies)."""
    return lambda: count * settings.PROOF_MAX_BYTES


def oversize_of(request, view) -> int:
    """The announced size of a POST over the limit `view` declares (see upload_limit), or 0:
    the middleware that checks the form's text then leaves the body unread."""
    max_bytes = getattr(view, "upload_max_bytes", None)
    if max_bytes is None or request.method != "POST":
        return 0
    length = content_length(request)
    return length if length > max_bytes() + MULTIPART_MARGIN else 0


def oversize_message(length: int, max_bytes: int) -> str:
    return (
        f"Le fichier envoyé est trop volumineux ({megabytes(length)}) : {megabytes(max_bytes)} "
        "au plus. Rien n'a été enregistré : joignez un fichier plus léger."
    )


def upload_limit(max_bytes: Callable[[], int] | None = None, *, oversize=None):
    """Refuses a POST whose Content-Length exceeds `max_bytes()` (plus the multipart
    envelope; one proof's PROOF_MAX_BYTES by default) before its body is read: neither the CSRF check, which comes after (the
    view runs under csrf_protect), nor the form reads it. The refusal changes nothing:
    `oversize(request, *args, length=..., max_bytes=..., **kwargs)` answers it (the form
    again, its file field saying so), or a French page with status 413."""

    max_bytes = max_bytes or proofs_max_bytes(1)

    def decorator(view):
        protected = csrf_protect(view)

        @wraps(view)
        def wrapped(request, *args, **kwargs):
            length = oversize_of(request, wrapped)
            if not length:
                return protected(request, *args, **kwargs)
            # Whatever the answer reads from here on finds an empty form, not the body.
            request._post, request._files = QueryDict(), MultiValueDict()
            limit = max_bytes()
            if oversize is not None:
                return oversize(request, *args, length=length, max_bytes=limit, **kwargs)
            return oversize_response(request, length=length, max_bytes=limit)

        wrapped.csrf_exempt = True
        wrapped.upload_max_bytes = max_bytes
        return wrapped

    return decorator


def oversize_response(request, *, length: int, max_bytes: int):
    """The French page of an upload refused from its size, with a way back to the form."""
    back = request.META.get("HTTP_REFERER", "")
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = request.get_full_path()
    return render(
        request,
        "413.html",
        {"message": oversize_message(length, max_bytes), "back": back},
        status=413,
    )


def oversize_form(form, field: str, *, length: int, max_bytes: int):
    """An unbound `form` shown again with the refusal next to its file field `field` (the
    other values were not read: the person types them again)."""
    form.cleaned_data = {}
    form.full_clean()
    form.add_error(field, ValidationError(oversize_message(length, max_bytes), code="too_large"))
    bound = form[field]
    described = [f"{bound.auto_id}_error"]
    if form.fields[field].help_text:
        described.insert(0, f"{bound.auto_id}_helptext")
    form.fields[field].widget.attrs.update(
        {"aria-invalid": "true", "aria-describedby": " ".join(described)}
    )
    return form
