"""A régie's SEPA direct debits: the debits due as a pain.008.001.02 file, its life
(généré → transmis), and the bank's rejects imported (`levee/payments/DEBIT_FILES.md`).

In PES mode the public accountant debits the mandates from the rôle (`levee/billing/PES.md`):
none of this applies and the file is refused.
"""

import csv
import dataclasses
import datetime
import hashlib
import io
import re
from decimal import Decimal, InvalidOperation

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from sepaxml import SepaDD
from sepaxml.validation import ValidationError as SepaValidationError
from sepaxml.validation import try_valid_xml

from levee.audit.services import audit_write
from levee.billing.models import Invoice, InvoiceStatus
from levee.lib.storage import private_storage
from levee.lib.templatetags.levee_format import euros
from levee.lib.text import plural_fr
from levee.mailing.recipients import account_recipients
from levee.mailing.services import mail_enqueue
from levee.treasury.models import CollectionMode, PublicAccountingSettings

from .mandates import mandate_suspend
from .models import (
    DebitFile,
    DebitFileStatus,
    DebitRejectImport,
    DebitSequence,
    DebitStatus,
    MandateStatus,
    PaymentSettings,
    ScheduledDebit,
)

SCHEMA = "pain.008.001.02"
# Rejects in a row that suspend a mandate.
REJECTS_TO_SUSPEND = 2
REJECTS_MAX_BYTES = 2 * 1024 * 1024

# The ISO 20022 reason codes of R-transactions (EPC SEPA Core rulebook), in French.
REASONS = {
    "AC01": "IBAN incorrect",
    "AC04": "compte clôturé",
    "AC06": "compte bloqué",
    "AC13": "compte de débiteur non valide (compte de consommateur)",
    "AG01": "prélèvement interdit sur ce compte",
    "AG02": "code d'opération invalide",
    "AM04": "provision insuffisante",
    "AM05": "prélèvement en double",
    "BE05": "créancier inconnu",
    "CNOR": "banque du créancier non joignable",
    "DNOR": "banque du débiteur non joignable",
    "FF01": "format de fichier invalide",
    "MD01": "pas de mandat",
    "MD02": "données du mandat manquantes ou incorrectes",
    "MD06": "remboursement demandé par le débiteur",
    "MD07": "débiteur décédé",
    "MS02": "refus du débiteur",
    "MS03": "raison non communiquée",
    "RC01": "BIC incorrect",
    "RR01": "identification du débiteur manquante",
    "RR02": "nom ou adresse du débiteur manquant",
    "RR03": "nom ou adresse du créancier manquant",
    "RR04": "raison réglementaire",
    "SL01": "service spécifique de la banque du débiteur",
}
COLUMNS = ("reference", "date", "montant", "motif")


class DebitFileError(Exception):
    """A change of « Prélèvements » that cannot be made; French, for the agent."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def reason_label(code: str) -> str:
    return REASONS.get(code, f"motif {code}")


# Settings


def regie_missing(authority) -> list[str]:
    """What the authority lacks to send its own debit files, in French; empty when ready."""
    accounting = PublicAccountingSettings.objects.filter(authority_id=authority.pk).first()
    if accounting is not None and accounting.collection_mode == CollectionMode.PES:
        return [
            "le mode de recouvrement « Régie » (en PES, le comptable public prélève à partir "
            "du rôle)"
        ]
    settings = PaymentSettings.objects.filter(authority_id=authority.pk).first()
    missing = []
    if settings is None or not settings.creditor_identifier.strip():
        missing.append("l'identifiant créancier SEPA (ICS)")
    if settings is None or not settings.creditor_iban.strip():
        missing.append("l'IBAN de la régie")
    if settings is None or not settings.creditor_bic.strip():
        missing.append("le BIC de la régie")
    return missing


# The file


def debits_due(authority, *, up_to: datetime.date):
    """The debits a file for `up_to` carries: planned, due by then, on an active mandate,
    of a published invoice still to pay by debit, not in a transmitted file."""
    return (
        ScheduledDebit.objects.filter(
            authority_id=authority.pk,
            status=DebitStatus.PLANNED,
            due_on__lte=up_to,
            amount_cents__gt=0,
            mandate__status=MandateStatus.ACTIVE,
            invoice__status=InvoiceStatus.OPEN,
            invoice__direct_debit=True,
        )
        .exclude(invoice__number="")
        .filter(Q(file__isnull=True) | Q(file__status=DebitFileStatus.GENERATED))
        .select_related("mandate", "invoice")
        .order_by("due_on", "mandate_id", "pk")
    )


def end_to_end_id(debit: ScheduledDebit, authority) -> str:
    """The debit's EndToEndId (35 characters at most), the same in every file carrying it:
    what the bank's rejects cite."""
    return f"LEVEE-{re.sub(r'[^A-Za-z0-9]', '', authority.code)[:12]}-{debit.pk}"


def pain008_validate(content: bytes) -> None:
    """The file against the pain.008.001.02 schema sepaxml ships; DebitFileError when not."""
    try:
        try_valid_xml(content, SCHEMA)
    except SepaValidationError as error:
        cause = error.__cause__
        detail = getattr(cause, "reason", None) or str(cause or error)
        raise DebitFileError(
            f"Le fichier de prélèvements n'est pas conforme au schéma {SCHEMA} : {detail}"
        ) from error
    except Exception as error:  # not even XML
        raise DebitFileError(
            f"Le fichier de prélèvements n'est pas conforme au schéma {SCHEMA} : {error}"
        ) from error


def _sequences(debits: list[ScheduledDebit]) -> dict[int, str]:
    """FRST for the first debit of a mandate none of whose debits was ever transmitted
    (and not rejected), RCUR for the others."""
    mandates = {d.mandate_id for d in debits}
    taken = set(
        ScheduledDebit.objects.filter(mandate_id__in=mandates, status=DebitStatus.SENT)
        .values_list("mandate_id", flat=True)
        .distinct()
    )
    result, seen = {}, set()
    for debit in debits:  # in date order
        first = debit.mandate_id not in taken and debit.mandate_id not in seen
        result[debit.pk] = DebitSequence.FIRST if first else DebitSequence.RECURRENT
        seen.add(debit.mandate_id)
    return result


def _replace_generated(authority, *, by) -> None:
    for old in DebitFile.objects.filter(
        authority_id=authority.pk, status=DebitFileStatus.GENERATED
    ):
        old.debits.update(file=None, sequence="", collection_on=None)
        if old.file:
            old.file.delete(save=False)
        audit_write(
            authority=authority,
            actor=by,
            action="debit_file.replace",
            obj=old,
            before={"status": old.status, "name": old.name, "count": old.count},
            after={},
        )
        old.delete()


@transaction.atomic
def debit_file_generate(
    *, authority, up_to: datetime.date, by, today: datetime.date | None = None
) -> DebitFile:
    """The pain.008 file of the régie's debits due up to `up_to`, checked against the
    schema before it is stored in private storage. A file generated and not yet
    transmitted is replaced (its debits go to the new one). DebitFileError, with nothing
    changed, when the settings are incomplete, no debit is due or the file is not valid."""
    today = today or timezone.localdate()
    settings = PaymentSettings.objects.select_for_update().filter(authority_id=authority.pk).first()
    missing = regie_missing(authority)
    if missing:
        raise DebitFileError(
            "Le fichier de prélèvements ne peut pas être généré : il manque "
            + ", ".join(missing)
            + "."
        )
    _replace_generated(authority, by=by)
    debits = list(debits_due(authority, up_to=up_to))
    if not debits:
        raise DebitFileError(
            f"Aucun prélèvement n'est dû jusqu'au {up_to:%d/%m/%Y} : aucun fichier n'a été généré."
        )
    sequences = _sequences(debits)
    # The bank takes a debit at the earliest the next day (SEPA Core, D-1).
    earliest = today + datetime.timedelta(days=1)
    sepa = SepaDD(
        {
            "name": authority.name,
            "IBAN": settings.creditor_iban.replace(" ", "").upper(),
            "BIC": settings.creditor_bic.strip().upper(),
            "batch": True,
            "creditor_id": settings.creditor_identifier.strip(),
            "currency": "EUR",
        },
        schema=SCHEMA,
    )
    for debit in debits:
        mandate = debit.mandate
        debit.sequence = sequences[debit.pk]
        debit.collection_on = max(debit.due_on, earliest)
        debit.end_to_end_id = end_to_end_id(debit, authority)
        payment = {
            "name": mandate.holder_name,
            "IBAN": mandate.iban.replace(" ", "").upper(),
            "amount": debit.amount_cents,
            "type": debit.sequence,
            "collection_date": debit.collection_on,
            "mandate_id": mandate.rum,
            "mandate_date": mandate.signed_on,
            "description": f"Facture {debit.invoice.number} {authority.name}",
            "endtoend_id": debit.end_to_end_id,
        }
        if mandate.bic.strip():
            payment["BIC"] = mandate.bic.strip().upper()
        sepa.add_payment(payment)
    content = sepa.export(validate=False)
    pain008_validate(content)
    now = timezone.now()
    number = DebitFile.objects.filter(authority_id=authority.pk).count() + 1
    name = f"prelevements-{authority.code}-{up_to:%Y%m%d}-{now:%H%M%S}-{number}"
    debit_file = DebitFile(
        authority=authority,
        name=name,
        message_id=sepa.msg_id[:35],
        up_to=up_to,
        count=len(debits),
        total_cents=sum(d.amount_cents for d in debits),
        first_collection_on=min(d.collection_on for d in debits),
        last_collection_on=max(d.collection_on for d in debits),
        size=len(content),
        generated_at=now,
        generated_by=by,
    )
    debit_file.file.save(f"{name}.xml", ContentFile(content), save=False)
    try:
        debit_file.save(force_insert=True)
        for debit in debits:
            debit.file = debit_file
        ScheduledDebit.objects.bulk_update(
            debits, ["file", "sequence", "collection_on", "end_to_end_id"]
        )
    except Exception:
        private_storage.delete(debit_file.file.name)
        raise
    audit_write(
        authority=authority,
        actor=by,
        action="debit_file.generate",
        obj=debit_file,
        after={
            "name": name,
            "up_to": up_to.isoformat(),
            "count": debit_file.count,
            "total_cents": debit_file.total_cents,
        },
    )
    return debit_file


@transaction.atomic
def debit_file_mark_transmitted(
    *, debit_file: DebitFile, by, at: datetime.datetime | None = None
) -> DebitFile:
    """« Transmis »: the agent sent the file to the régie's bank. Its debits are
    « transmis » (taken on their date unless the bank rejects them); the file can no longer
    be regenerated."""
    debit_file = DebitFile.objects.select_for_update().get(pk=debit_file.pk)
    if debit_file.status != DebitFileStatus.GENERATED:
        raise DebitFileError(
            "Ce fichier est déjà transmis : il ne peut pas l'être une seconde fois."
        )
    debit_file.status = DebitFileStatus.TRANSMITTED
    debit_file.transmitted_at = at or timezone.now()
    debit_file.transmitted_by = by
    debit_file.save(update_fields=["status", "transmitted_at", "transmitted_by", "updated_at"])
    sent = ScheduledDebit.objects.filter(file=debit_file, status=DebitStatus.PLANNED).update(
        status=DebitStatus.SENT
    )
    audit_write(
        authority=debit_file.authority,
        actor=by,
        action="debit_file.transmit",
        obj=debit_file,
        before={"status": DebitFileStatus.GENERATED},
        after={"status": debit_file.status, "debits": sent},
    )
    return debit_file


# The bank's rejects


@dataclasses.dataclass
class RejectLine:
    line: int
    reference: str
    on: datetime.date | None
    amount_cents: int | None
    reason: str


def _date_parse(value: str) -> datetime.date | None:
    for layout in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.datetime.strptime(value.strip(), layout).date()  # noqa: DTZ007
        except ValueError:
            continue
    return None


def _cents_parse(value: str) -> int | None:
    text = value.strip().replace("\u00a0", "").replace(" ", "").replace("€", "").replace(",", ".")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        return None
    if amount <= 0 or amount != amount.quantize(Decimal("0.01")):
        return None
    return int(amount * 100)


def rejects_read(content: bytes) -> list[dict]:
    """The rows of a rejects file as dicts of COLUMNS (plus "line"); DebitFileError when
    the file as a whole cannot be read (size, encoding, header)."""
    if not content.strip():
        raise DebitFileError("Le fichier est vide.")
    if len(content) > REJECTS_MAX_BYTES:
        raise DebitFileError("Le fichier dépasse 2 Mo : découpez-le en plusieurs fichiers.")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DebitFileError(
            "Le fichier n'est pas encodé en UTF-8 : enregistrez-le au format « CSV UTF-8 » "
            "puis importez-le à nouveau. Aucun rejet n'a été appliqué."
        )
    reader = csv.reader(io.StringIO(text), delimiter=";")
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise DebitFileError("Le fichier est vide.")
    absent = [c for c in COLUMNS if c not in header]
    if absent:
        raise DebitFileError(
            "La première ligne doit nommer les colonnes « reference;date;montant;motif » "
            "(séparées par des points-virgules) : il manque "
            + ", ".join(f"« {c} »" for c in absent)
            + "."
        )
    rows = []
    for number, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        row = {
            c: (cells[header.index(c)].strip() if header.index(c) < len(cells) else "")
            for c in COLUMNS
        }
        row["line"] = number
        rows.append(row)
    if not rows:
        raise DebitFileError("Le fichier ne contient aucune ligne de rejet.")
    return rows


def _debit_of_line(
    authority, *, reference: str, on, amount_cents
) -> tuple[ScheduledDebit | None, str]:
    debit = (
        ScheduledDebit.objects.select_for_update()
        .filter(authority_id=authority.pk, end_to_end_id=reference)
        .exclude(end_to_end_id="")
        .first()
    )
    if debit is not None:
        if debit.amount_cents != amount_cents:
            return None, (
                f"Le montant {euros(amount_cents)} ne correspond pas au prélèvement "
                f"« {reference} » ({euros(debit.amount_cents)})."
            )
        return debit, ""
    from .models import Mandate

    mandate = Mandate.objects.filter(authority_id=authority.pk, rum=reference).first()
    if mandate is None:
        return None, (
            f"Aucun prélèvement ni mandat de la collectivité ne porte la référence « {reference} »."
        )
    debit = (
        ScheduledDebit.objects.select_for_update()
        .filter(
            authority_id=authority.pk,
            mandate=mandate,
            collection_on=on,
            amount_cents=amount_cents,
            status__in=[DebitStatus.SENT, DebitStatus.REJECTED],
        )
        .order_by("pk")
        .first()
    )
    if debit is None:
        return None, (
            f"Le mandat « {reference} » n'a aucun prélèvement transmis de {euros(amount_cents)} "
            f"à échéance du {on:%d/%m/%Y}."
        )
    return debit, ""


def _consecutive_rejects(mandate_id: int) -> int:
    statuses = (
        ScheduledDebit.objects.filter(
            mandate_id=mandate_id, status__in=[DebitStatus.SENT, DebitStatus.REJECTED]
        )
        .order_by("-collection_on", "-due_on", "-pk")
        .values_list("status", flat=True)
    )
    count = 0
    for status in statuses[:REJECTS_TO_SUSPEND]:
        if status != DebitStatus.REJECTED:
            break
        count += 1
    return count


def _reject_apply(debit: ScheduledDebit, *, on, reason: str, imported: DebitRejectImport) -> str:
    """The debit rejected: its invoice back to « à régler », the resident told; the
    mandate suspended at the second reject in a row. Returns the line's French outcome."""
    changed = ScheduledDebit.objects.filter(pk=debit.pk, status=DebitStatus.SENT).update(
        status=DebitStatus.REJECTED,
        rejected_on=on,
        reject_reason=reason,
        reject_import=imported,
    )
    if changed != 1:
        raise DebitFileError("Ce prélèvement a changé pendant l'import.")
    invoice = Invoice.objects.select_related("authority").get(pk=debit.invoice_id)
    # Its other coming debits stop: the invoice is paid otherwise now.
    ScheduledDebit.objects.filter(invoice_id=invoice.pk, status=DebitStatus.PLANNED).update(
        status=DebitStatus.CANCELLED
    )
    values = {"direct_debit": False, "updated_at": timezone.now()}
    if invoice.status == InvoiceStatus.PAID:
        values.update(status=InvoiceStatus.OPEN, paid_at=None, paid_by="")
    Invoice.objects.filter(pk=invoice.pk).update(**values)
    suspended = False
    if _consecutive_rejects(debit.mandate_id) >= REJECTS_TO_SUSPEND:
        suspended = mandate_suspend(mandate=debit.mandate, today=timezone.localdate()) is not None
    authority = invoice.authority
    context = {
        "number": invoice.number,
        "amount": euros(debit.amount_cents),
        "collection_on": debit.collection_on or debit.due_on,
        "reason": reason_label(reason),
        "rum": debit.mandate.rum,
        "suspended": suspended,
        "invoices_url": reverse("billing:invoices", kwargs={"slug": authority.slug}),
    }
    for to in account_recipients([invoice.account_id])[invoice.account_id]:
        mail_enqueue(to=to, template="debit_rejected", context=context, authority=authority)
    outcome = (
        f"Rejet appliqué ({reason} — {reason_label(reason)}) : la facture {invoice.number} est "
        "à nouveau à régler et l'usager est prévenu par email."
    )
    if suspended:
        outcome += f" Deuxième rejet de suite : le mandat {debit.mandate.rum} est suspendu."
    return outcome


@transaction.atomic
def debit_rejects_import(*, authority, content: bytes, filename: str, by) -> DebitRejectImport:
    """The bank's rejects file: each line matched to a transmitted debit and applied, or
    listed with its reason. The same file twice is imported once (DebitFileError the
    second time); a debit already rejected is never rejected again; a file that cannot be
    read changes nothing."""
    rows = rejects_read(content)
    digest = hashlib.sha256(content).hexdigest()
    previous = DebitRejectImport.objects.filter(authority_id=authority.pk, sha256=digest).first()
    if previous is not None:
        raise DebitFileError(
            f"Ce fichier a déjà été importé le {timezone.localtime(previous.created_at):%d/%m/%Y à %H:%M} : "
            "ses rejets ne sont pas appliqués une seconde fois."
        )
    imported = DebitRejectImport.objects.create(
        authority=authority, filename=filename[:255], sha256=digest, lines=len(rows), imported_by=by
    )
    report, seen, applied = [], {}, 0
    for row in rows:
        entry = {"line": row["line"], "reference": row["reference"], "outcome": "ignored"}
        report.append(entry)
        on = _date_parse(row["date"])
        cents = _cents_parse(row["montant"])
        reason = row["motif"].upper()
        if not row["reference"]:
            entry["message"] = "La référence (EndToEndId ou RUM) manque."
            continue
        if on is None:
            entry["message"] = f"La date « {row['date']} » n'est pas une date JJ/MM/AAAA."
            continue
        if cents is None:
            entry["message"] = (
                f"Le montant « {row['montant']} » n'est pas un montant positif en euros."
            )
            continue
        if not re.fullmatch(r"[A-Z]{2}[0-9]{2}|CNOR|DNOR", reason):
            entry["message"] = (
                f"Le motif « {row['motif']} » n'est pas un code de rejet SEPA (AM04, MD01…)."
            )
            continue
        debit, problem = _debit_of_line(
            authority, reference=row["reference"], on=on, amount_cents=cents
        )
        if debit is None:
            entry["message"] = problem
            continue
        if debit.pk in seen:
            entry["message"] = (
                f"Ligne en double : ce prélèvement figure déjà à la ligne {seen[debit.pk]}."
            )
            continue
        seen[debit.pk] = row["line"]
        if debit.status == DebitStatus.REJECTED:
            entry["message"] = (
                "Ce prélèvement est déjà rejeté (par un import précédent) : rien n'est appliqué une seconde fois."
            )
            continue
        if debit.status != DebitStatus.SENT:
            entry["message"] = (
                "Ce prélèvement n'a pas été transmis à la banque : il ne peut pas être rejeté."
            )
            continue
        with transaction.atomic():
            entry["message"] = _reject_apply(debit, on=on, reason=reason, imported=imported)
        entry["outcome"] = "applied"
        applied += 1
    imported.report = report
    imported.applied = applied
    imported.save(update_fields=["report", "applied", "updated_at"])
    audit_write(
        authority=authority,
        actor=by,
        action="debit_rejects.import",
        obj=imported,
        after={
            "filename": imported.filename,
            "lines": len(rows),
            "applied": applied,
            "summary": f"{plural_fr(applied, 'rejet appliqué')} sur {plural_fr(len(rows), 'ligne')}",
        },
    )
    return imported
