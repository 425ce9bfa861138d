"""The public accountant's collections imported (`levee/payments/COLLECTIONS.md`): a CSV of
the payments he received for the authority's invoices (at his counter, by cheque, transfer,
debit…), each line recorded on its invoice as an agent would (`recorded.payment_record`)
or listed with its reason in French.

The same file twice is imported once (its SHA-256 is unique per authority); a line already
imported by another file is never recorded again (its key, unique per authority); a file
is applied in one transaction: a failure midway applies none of its lines."""

import csv
import dataclasses
import datetime
import hashlib
import io
import re
import unicodedata

from django.db import IntegrityError, transaction
from django.utils import timezone

from levee.audit.services import audit_write
from levee.billing.models import Invoice
from levee.lib.templatetags.levee_format import euros
from levee.lib.text import plural_fr

from .models import (
    REFERENCE_REQUIRED,
    CollectionImport,
    Payment,
    PaymentChannel,
    PaymentMethod,
)
from .recorded import PaymentRefused, payment_record

MAX_BYTES = 2 * 1024 * 1024
COLUMNS = ["facture", "date", "montant", "mode", "reference"]
# What the « mode » column may say (lower case, without accents), and the mode it is.
MODES = {
    "cheque": PaymentMethod.CHEQUE,
    "especes": PaymentMethod.CASH,
    "numeraire": PaymentMethod.CASH,
    "virement": PaymentMethod.TRANSFER,
    "carte": PaymentMethod.COUNTER_CARD,
    "carte au guichet": PaymentMethod.COUNTER_CARD,
    "carte_guichet": PaymentMethod.COUNTER_CARD,
    "cb": PaymentMethod.COUNTER_CARD,
    "prelevement": PaymentMethod.DEBIT,
}
AMOUNT_RE = re.compile(r"^(-?)(\d{1,9})(?:,(\d{1,2}))?$")
DATE_RE = re.compile(r"^\d{2}/\d{2}/\d{4}$")


class CollectionFileError(Exception):
    """The file as a whole cannot be imported (encoding, header, already imported…);
    nothing is applied. `message` says why in French."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclasses.dataclass
class Line:
    line: int
    invoice: str
    date: str
    amount: str
    mode: str
    reference: str


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def mode_label(text: str) -> str:
    """What a line's « mode » says, as the screens name the mode (« cheque » → « Chèque »);
    a mode the import did not know, as the file wrote it."""
    method = MODES.get(_plain(text))
    return PaymentMethod(method).label if method else text


def _amount(text: str) -> int | None:
    """« 87,94 » → 8794, « -12,00 » → -1200; None when it is not an amount in euros."""
    cleaned = text.strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    match = AMOUNT_RE.match(cleaned.removesuffix("€"))
    if match is None:
        return None
    sign, units, decimals = match.groups()
    cents = int(units) * 100 + int((decimals or "0").ljust(2, "0"))
    return -cents if sign else cents


def _date(text: str) -> datetime.date | None:
    if not DATE_RE.match(text.strip()):
        return None
    try:
        return datetime.datetime.strptime(text.strip(), "%d/%m/%Y").date()  # noqa: DTZ007
    except ValueError:
        return None


def lines_read(content: bytes) -> list[Line]:
    """The lines of a collections file; CollectionFileError when it cannot be read."""
    if not content.strip():
        raise CollectionFileError("Le fichier est vide.")
    if len(content) > MAX_BYTES:
        raise CollectionFileError("Le fichier dépasse 2 Mo : découpez-le en plusieurs fichiers.")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CollectionFileError(
            "Le fichier n'est pas encodé en UTF-8 (il l'est peut-être en Windows-1252 ou en "
            "ISO-8859-1) : enregistrez-le au format « CSV UTF-8 » puis importez-le à nouveau. "
            "Aucun règlement n'a été enregistré."
        ) from None
    reader = csv.reader(io.StringIO(text), delimiter=";")
    try:
        header = [_plain(h) for h in next(reader)]
    except StopIteration:
        raise CollectionFileError("Le fichier est vide.") from None
    absent = [c for c in COLUMNS if c not in header]
    if absent:
        raise CollectionFileError(
            "La première ligne doit nommer les colonnes « facture;date;montant;mode;reference » "
            "(séparées par des points-virgules) : il manque "
            + ", ".join(f"« {c} »" for c in absent)
            + "."
        )
    where = {c: header.index(c) for c in COLUMNS}
    lines = []
    for number, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        values = {c: (cells[i].strip() if i < len(cells) else "") for c, i in where.items()}
        lines.append(
            Line(
                line=number,
                invoice=values["facture"],
                date=values["date"],
                amount=values["montant"],
                mode=values["mode"],
                reference=values["reference"],
            )
        )
    if not lines:
        raise CollectionFileError("Le fichier ne contient aucune ligne d'encaissement.")
    return lines


def line_key(*, number: str, method: str, reference: str, cents: int, on) -> str:
    """One collection's key, whatever file brings it: its invoice, mode, reference, amount
    and day."""
    return hashlib.sha256(f"{number}|{method}|{reference}|{cents}|{on}".encode()).hexdigest()


def _problem(line: Line, today) -> tuple[str | None, dict]:
    """(reason in French, or None with the line's values parsed)."""
    if not line.invoice:
        return "Le numéro de facture manque.", {}
    on = _date(line.date)
    if on is None:
        return f"La date « {line.date} » n'est pas une date valide JJ/MM/AAAA.", {}
    if on > today:
        return f"La date {on:%d/%m/%Y} est dans le futur.", {}
    cents = _amount(line.amount)
    if cents is None:
        return (
            f"Le montant « {line.amount} » n'est pas un montant en euros (par exemple 87,94).",
            {},
        )
    if cents < 0:
        return (
            f"Le montant « {line.amount} » est négatif : un remboursement ne s'importe pas "
            "comme un encaissement.",
            {},
        )
    if cents == 0:
        return "Le montant est nul.", {}
    method = MODES.get(_plain(line.mode))
    if method is None:
        return (
            f"Le mode « {line.mode} » est inconnu : cheque, especes, virement, carte ou "
            "prelevement.",
            {},
        )
    if method in REFERENCE_REQUIRED and not line.reference:
        return "La référence manque : elle est obligatoire pour un chèque ou un virement.", {}
    if len(line.reference) > 64:
        return "La référence dépasse 64 caractères.", {}
    return None, {"on": on, "cents": cents, "method": method}


def collections_import(
    *,
    authority,
    content: bytes,
    filename: str,
    by,
    today: datetime.date | None = None,
    send_receipts: bool = True,
) -> CollectionImport:
    """Imports the accountant's collections file: every line recorded on its invoice of
    the authority or listed with its reason, its « Reçu de paiement » sent. The import is
    audited (the demo's, without an agent, `by` None, is not). CollectionFileError when
    the file cannot be read or was imported already (nothing applied)."""
    today = today or timezone.localdate()
    lines = lines_read(content)
    digest = hashlib.sha256(content).hexdigest()
    with transaction.atomic():
        try:
            with transaction.atomic():
                imported = CollectionImport.objects.create(
                    authority=authority,
                    filename=filename[:255],
                    sha256=digest,
                    lines=len(lines),
                    imported_by=by,
                )
        except IntegrityError:
            previous = CollectionImport.objects.get(authority=authority, sha256=digest)
            raise CollectionFileError(
                f"Ce fichier a déjà été importé le "
                f"{timezone.localtime(previous.created_at):%d/%m/%Y à %H:%M} : ses règlements "
                "ne sont pas enregistrés une seconde fois."
            ) from None
        numbers = {line.invoice for line in lines if line.invoice}
        invoices = {
            i.number: i
            for i in Invoice.objects.filter(authority=authority, number__in=numbers).exclude(
                number=""
            )
        }
        report, seen, applied, applied_cents = [], {}, 0, 0
        for line in lines:
            entry = {
                "line": line.line,
                "invoice": line.invoice,
                "amount": line.amount,
                "mode": line.mode,
                "reference": line.reference,
                "outcome": "ignored",
            }
            report.append(entry)
            problem, parsed = _problem(line, today)
            if problem:
                entry["message"] = problem
                continue
            key = line_key(
                number=line.invoice,
                method=parsed["method"],
                reference=line.reference,
                cents=parsed["cents"],
                on=parsed["on"],
            )
            if key in seen:
                entry["message"] = f"Ligne en double : identique à la ligne {seen[key]}."
                continue
            seen[key] = line.line
            invoice = invoices.get(line.invoice)
            if invoice is None:
                entry["message"] = f"Facture « {line.invoice} » inconnue dans la collectivité."
                continue
            earlier = (
                Payment.objects.filter(authority=authority, line_key=key)
                .select_related("collection_import")
                .first()
            )
            if earlier is not None:
                source = earlier.collection_import
                entry["message"] = (
                    "Déjà importée"
                    + (
                        f" (fichier « {source.filename} » du "
                        f"{timezone.localtime(source.created_at):%d/%m/%Y})"
                        if source
                        else ""
                    )
                    + " : rien n'est enregistré une seconde fois."
                )
                continue
            try:
                payment = payment_record(
                    invoice=invoice,
                    method=parsed["method"],
                    paid_on=parsed["on"],
                    reference=line.reference,
                    amount_cents=parsed["cents"],
                    by=by,
                    today=today,
                    channel=PaymentChannel.IMPORT,
                    collection_import=imported,
                    line_key=key,
                    audit=False,
                    send_receipt=send_receipts,
                )
            except PaymentRefused as refusal:
                entry["message"] = refusal.message
                continue
            entry["outcome"] = "applied"
            entry["amount_cents"] = parsed["cents"]
            entry["payment"] = payment.pk
            entry["invoice_pk"] = invoice.pk
            entry["message"] = (
                "Facture réglée." if payment.invoice_settled else "Règlement enregistré."
            ) + (f" Trop-perçu de {euros(payment.excess_cents)}." if payment.excess_cents else "")
            applied += 1
            applied_cents += parsed["cents"]
        imported.report = report
        imported.applied = applied
        imported.applied_cents = applied_cents
        imported.save(update_fields=["report", "applied", "applied_cents", "updated_at"])
        if by is None:
            return imported
        audit_write(
            authority=authority,
            actor=by,
            action="collections.import",
            obj=imported,
            after={
                "filename": imported.filename,
                "lines": len(lines),
                "applied": applied,
                "applied_cents": applied_cents,
                "summary": (
                    f"{plural_fr(applied, 'règlement enregistré')} sur "
                    f"{plural_fr(len(lines), 'ligne')}"
                ),
            },
        )
    return imported
