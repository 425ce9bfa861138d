"""Uploaded proofs (justificatifs): PDF, JPEG or PNG, at most 5 MB, checked by content."""

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError

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
