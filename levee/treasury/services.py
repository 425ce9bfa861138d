"""The changes of « Comptabilité publique »: the settings' defaults, the rôle's PES files
and their life (transmis, accepté, rejeté), each audited."""

import datetime
import glob
import logging
import os
import secrets
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone
from lxml import etree

from levee.audit.services import audit_write
from levee.billing.models import BillingRun, Invoice, LineKind, RunKind, RunStatus
from levee.lib.storage import private_storage
from levee.lib.templatetags.levee_format import euros
from levee.lib.text import plural_fr

from .models import (
    CollectionMode,
    PesBordereauSequence,
    PesFile,
    PesFileKind,
    PesFileStatus,
    PesGeneration,
    PesGenerationStatus,
    PublicAccountingSettings,
    luhn_valid,
)
from .pes import CHUNK_SIZE, FileSpec, PesError, file_totals, pes_file_write, titled_invoices
from .pes_check import pes_check

PRODUCT_CODE_LENGTH = 4
NATURE_LENGTH = 12

logger = logging.getLogger(__name__)


class TreasuryError(Exception):
    """A change of « Comptabilité publique » that cannot be made; French, for the agent."""

    def __init__(self, message: str, problems: list[str] | None = None):
        super().__init__(message)
        self.message = message
        self.problems = problems or []


def public_accounting_settings_for(*, authority) -> PublicAccountingSettings:
    settings, _ = PublicAccountingSettings.objects.get_or_create(authority=authority)
    return settings


SETTINGS_FIELDS = (
    "collection_mode",
    "siret",
    "poste_code",
    "collectivity_code",
    "budget_code",
    "budget_label",
    "line_codes",
    "role_object",
    "pieces_per_file",
    "attach_pdfs",
    "dgfip_prints_notices",
)


@transaction.atomic
def public_accounting_settings_update(*, authority, values: dict, by) -> PublicAccountingSettings:
    """« Comptabilité publique »: the settings the agent saved, audited with what changed."""
    public_accounting_settings_for(authority=authority)
    current = PublicAccountingSettings.objects.select_for_update().get(authority=authority)
    before = {name: getattr(current, name) for name in SETTINGS_FIELDS}
    after = {name: values[name] for name in SETTINGS_FIELDS}
    changed = [name for name in SETTINGS_FIELDS if before[name] != after[name]]
    if not changed:
        return current
    for name in changed:
        setattr(current, name, after[name])
    current.full_clean(exclude=["authority"])
    current.save(update_fields=changed)
    audit_write(
        authority=authority,
        actor=by,
        action="public_accounting_settings.update",
        obj=current,
        before={name: before[name] for name in changed},
        after={name: after[name] for name in changed},
    )
    return current


def settings_missing(settings: PublicAccountingSettings) -> list[str]:
    """What the PES still lacks in these settings, named in French (empty when complete)."""
    missing = []
    if settings.collection_mode != CollectionMode.PES:
        missing.append(f"le mode de recouvrement « {CollectionMode.PES.label} »")
    siret = settings.siret.strip()
    if not siret:
        missing.append("le SIRET de la collectivité (IdColl)")
    elif not (len(siret) == 14 and luhn_valid(siret)):
        missing.append("un SIRET valide (IdColl) : 14 chiffres dont la clé de contrôle correspond")
    if not settings.poste_code.strip():
        missing.append("le poste comptable (IdPost)")
    if not settings.collectivity_code.strip():
        missing.append("le code collectivité (CodCol)")
    if not settings.role_object.strip():
        missing.append("l'objet du rôle")
    for kind in LineKind:
        nature, product = settings.codes_of(kind.value)
        if not (nature.isdigit() and len(nature) <= NATURE_LENGTH and int(nature) > 0):
            missing.append(f"la nature (compte) des lignes « {kind.label} »")
        if not (product.isalnum() and product.isascii() and len(product) <= PRODUCT_CODE_LENGTH):
            missing.append(f"le code produit des lignes « {kind.label} »")
    from levee.payments.mandates import creditor_identifier_of
    from levee.payments.models import Mandate

    if Mandate.objects.filter(
        authority_id=settings.authority_id
    ).exists() and not creditor_identifier_of(settings.authority):
        missing.append("l'identifiant créancier SEPA (ICS), dans les réglages de paiement")
    return missing


def _missing_sentence(missing: list[str]) -> str:
    return "Réglages de comptabilité publique incomplets, il manque : " + " ; ".join(missing) + "."


def run_refusal(run: BillingRun) -> str:
    """Why this run cannot make a rôle, in French; "" when it can."""
    if run.kind != RunKind.REAL:
        return "Une facture à blanc ne fait pas de rôle : seule une facturation réelle publiée en fait un."
    if run.status != RunStatus.DONE or run.invoices_published < run.invoices_done:
        return "Cette facturation n'est pas encore publiée : son rôle se génère une fois toutes ses factures publiées."
    if Invoice.objects.filter(
        authority_id=run.authority_id, run_id=run.pk, published_at__isnull=True
    ).exists():
        return "Cette facturation n'est pas encore publiée : son rôle se génère une fois toutes ses factures publiées."
    return ""


def _file_name(settings, year: int, bordereau: int, stamp: str) -> str:
    return f"PESORMC_{settings.siret}_{year}_{bordereau:07d}_{stamp}"


def _pdf_of(invoice) -> bytes:
    from levee.billing.pdf import invoice_pdf_kept

    kept = invoice_pdf_kept(invoice=invoice)
    with kept.open("rb") as handle:
        return handle.read()


def _numbers(*, next_value: int, reusable: list[int], needed: int) -> tuple[list[int], int]:
    """`needed` bordereau numbers and the sequence's next value after them: first those the
    run's earlier files (never accepted by Hélios) held, then new ones from the sequence.
    Numbers left over go back to the sequence when they are its last; otherwise the
    sequence would have a hole, and it is refused. Nothing is saved here."""
    numbers = sorted(set(reusable))[:needed]
    leftover = sorted(set(reusable))[needed:]
    if leftover:
        if leftover != list(range(leftover[0], next_value)):
            raise TreasuryError(
                "Le rôle compte moins de fichiers qu'avant et d'autres bordereaux ont été numérotés "
                f"depuis : les n° {', '.join(map(str, leftover))} laisseraient un trou dans la "
                "numérotation. Rétablissez le nombre de factures par fichier."
            )
        next_value = leftover[0]
    while len(numbers) < needed:
        numbers.append(next_value)
        next_value += 1
    return numbers, next_value


def _boundaries(run: BillingRun, per_file: int, count: int) -> list[tuple[int, int]]:
    """(first, last) invoice pk of each file: one query per file, not per invoice."""
    ids = titled_invoices(run).values_list("pk", flat=True)
    bounds = []
    for start in range(0, count, per_file):
        end = min(start + per_file, count) - 1
        bounds.append((ids[start], ids[end]))
    return bounds


SENT_REFUSAL = (
    "Le rôle de cette facturation a été transmis au comptable public : il ne peut plus "
    "être généré à nouveau. Une correction part dans un nouveau bordereau."
)


def role_refusal(run: BillingRun) -> tuple[PublicAccountingSettings, list[PesFile], int]:
    """The settings, the run's files and its count of titles when its rôle may be generated;
    TreasuryError, in French, saying why not otherwise."""
    refusal = run_refusal(run)
    if refusal:
        raise TreasuryError(refusal)
    settings = PublicAccountingSettings.objects.filter(authority_id=run.authority_id).first()
    if settings is None:
        raise TreasuryError(_missing_sentence(["les réglages de comptabilité publique"]))
    missing = settings_missing(settings)
    if missing:
        raise TreasuryError(_missing_sentence(missing))
    existing = list(PesFile.objects.filter(authority_id=run.authority_id, run_id=run.pk))
    if any(f.status in (PesFileStatus.TRANSMITTED, PesFileStatus.ACCEPTED) for f in existing):
        raise TreasuryError(SENT_REFUSAL)
    count = titled_invoices(run).count()
    if not count:
        raise TreasuryError("Cette facturation n'a aucune facture à transmettre en titre.")
    return settings, existing, count


CHANGED_MEANWHILE = (
    "Le rôle de cette facturation ou la numérotation des bordereaux a changé pendant la "
    "génération (une autre génération s'est terminée entre-temps) : aucun fichier n'a été "
    "enregistré, relancez la génération."
)


def _remove(paths: list[str]) -> None:
    for path in paths:
        if os.path.exists(path):
            os.remove(path)


def pes_file_generate(
    *,
    run: BillingRun,
    by,
    today: datetime.date | None = None,
    progress: Callable[[int, int], None] | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> list[PesFile]:
    """The rôle of a published real run as PES files, checked before they are offered.

    Regenerating replaces the run's files not yet transmitted (they keep their numbers);
    once one is transmitted (or accepted), the rôle can no longer be regenerated: a
    correction goes out as a new bordereau. TreasuryError, in French, when it cannot.

    The files are written and checked outside any transaction (a task's progress is seen
    while they are written, and the embedded database stays writable meanwhile), then
    recorded in one short transaction that takes the bordereau numbers: it first checks
    that neither the run's files nor the exercice's numbering changed since the numbers
    were planned, so the numbering keeps no gap and no number twice. Whatever fails, the
    files written are removed and nothing is recorded."""
    run = BillingRun.objects.select_related("authority").get(pk=run.pk)
    authority = run.authority
    settings, existing, count = role_refusal(run)
    now = timezone.now()
    today = today or timezone.localdate()
    year = run.issued_on.year
    stamp = timezone.localtime(now).strftime("%Y%m%d%H%M%S")
    bounds = _boundaries(run, settings.pieces_per_file, count)
    sequence = PesBordereauSequence.objects.filter(authority_id=authority.pk, year=year).first()
    seen_next = sequence.next_value if sequence else 1
    seen_files = sorted((f.pk, f.status) for f in existing)
    numbers, next_value = _numbers(
        next_value=seen_next,
        reusable=[f.bordereau for f in existing if f.year == year],
        needed=len(bounds),
    )
    folder = f"pes/{authority.pk}"
    for path in (private_storage.path("pes"), private_storage.path(folder)):
        os.makedirs(path, mode=0o700, exist_ok=True)
    # Each attempt writes under names of its own until it is recorded; those an attempt
    # killed on the way (its worker stopped) left behind go now.
    _remove(glob.glob(os.path.join(private_storage.path(folder), f"*.r{run.pk}-*.part")))
    token = f"r{run.pk}-{secrets.token_hex(6)}"
    written: list[tuple[FileSpec, object, str, str]] = []  # spec, counts, partial, name
    try:
        done = 0
        for (first_id, last_id), bordereau in zip(bounds, numbers, strict=True):
            spec = FileSpec(
                run=run,
                settings=settings,
                year=year,
                bordereau=bordereau,
                name=_file_name(settings, year, bordereau, stamp),
                first_id=first_id,
                last_id=last_id,
                generated_on=today,
                stamp=stamp,
            )
            file_totals(spec)
            name = f"{folder}/{spec.name}.xml"
            partial = f"{private_storage.path(name)}.{token}.part"
            written.append((spec, None, partial, name))
            counts = pes_file_write(
                spec,
                partial,
                pdf_of=_pdf_of if settings.attach_pdfs else None,
                progress=(lambda n, done=done: progress(done + n, count)) if progress else None,
                chunk_size=chunk_size,
            )
            written[-1] = (spec, counts, partial, name)
            problems = pes_check(partial)
            if problems:
                raise TreasuryError(
                    f"Le fichier PES du bordereau {bordereau} ne passe pas le contrôle : "
                    + " ; ".join(problems[:10])
                    + ("…" if len(problems) > 10 else ""),
                    problems,
                )
            os.chmod(partial, 0o600)  # as private storage keeps its files
            done += counts.pieces
        files, replaced = _files_record(
            run=run,
            by=by,
            now=now,
            written=written,
            seen_files=seen_files,
            seen_next=seen_next,
            next_value=next_value,
        )
    except BaseException as error:
        _remove([partial for _spec, _counts, partial, _name in written])
        if isinstance(error, PesError):
            raise TreasuryError(str(error)) from error
        raise
    old_names = [f.file.name for f in replaced if f.file.name]
    new_names = {f.file.name for f in files}
    transaction.on_commit(
        lambda: [private_storage.delete(n) for n in old_names if n not in new_names]
    )
    return files


@transaction.atomic
def _files_record(
    *, run, by, now, written, seen_files, seen_next: int, next_value: int
) -> tuple[list[PesFile], list[PesFile]]:
    """Records the files written (their rows, the numbering, the audit) and gives them
    their final names, provided nothing changed since they were planned."""
    authority = run.authority
    BillingRun.objects.select_for_update().filter(pk=run.pk).first()  # one recording per run
    year = run.issued_on.year
    existing = list(
        PesFile.objects.select_for_update().filter(authority_id=authority.pk, run_id=run.pk)
    )
    sequence, _ = PesBordereauSequence.objects.get_or_create(authority=authority, year=year)
    sequence = PesBordereauSequence.objects.select_for_update().get(pk=sequence.pk)
    if sorted((f.pk, f.status) for f in existing) != seen_files or sequence.next_value != seen_next:
        raise TreasuryError(CHANGED_MEANWHILE)
    replaced = [f for f in existing if f.status == PesFileStatus.GENERATED]
    PesFile.objects.filter(pk__in=[f.pk for f in replaced]).delete()
    if sequence.next_value != next_value:
        sequence.next_value = next_value
        sequence.save(update_fields=["next_value"])
    files = []
    for part, (spec, counts, _partial, name) in enumerate(written, 1):
        files.append(
            PesFile.objects.create(
                authority=authority,
                run=run,
                year=year,
                bordereau=spec.bordereau,
                part=part,
                name=spec.name,
                pieces=counts.pieces,
                lines=counts.lines,
                debited=counts.debited,
                attachments=counts.attachments,
                total_ht_cents=counts.total_ht_cents,
                vat_cents=counts.vat_cents,
                first_invoice_id=spec.first_id,
                last_invoice_id=spec.last_id,
                piece_invoices=PesFile.piece_invoices_encode(counts.invoice_ids),
                file=name,
                size=os.path.getsize(_partial),
                generated_at=now,
                generated_by=by,
            )
        )
    for pes_file in files if by is not None else []:  # the command, run without --agent
        audit_write(
            authority=authority,
            actor=by,
            action="pes_file.generate",
            obj=pes_file,
            after={
                "run": run.pk,
                "year": year,
                "bordereau": pes_file.bordereau,
                "pieces": pes_file.pieces,
                "total_ht_cents": pes_file.total_ht_cents,
            },
        )
    # Last, so that a failure before leaves the files under their temporary names only.
    renamed = []
    try:
        for _spec, _counts, partial, name in written:
            os.replace(partial, private_storage.path(name))
            renamed.append(private_storage.path(name))
    except BaseException:
        _remove(renamed)
        raise
    return files, replaced


# --- The generation as a task, its progress shown on « Titres et rôles » --------------------

# With the PDFs, each piece takes a rendering: the progress is told every few pieces.
PDF_PROGRESS_CHUNK = 100


def _going_on_refusal(run: BillingRun, generation: PesGeneration) -> str:
    return (
        f"Le rôle de « {run.label} » est déjà en cours de génération "
        f"({generation.pieces_done} sur {plural_fr(generation.pieces_total, 'pièce')} "
        "écrites) : il n'est pas demandé une seconde fois. Suivez son avancement sur cette page."
    )


@transaction.atomic
def pes_generation_request(*, run: BillingRun, by) -> PesGeneration:
    """« Générer le fichier PES »: records the request (« En attente ») and enqueues its
    task once committed. One generation at a time per run: while one waits or runs (and has
    not stalled), another request is refused in French. TreasuryError too when the run
    cannot make a rôle (not published, incomplete settings, already transmitted)."""
    run = BillingRun.objects.select_for_update().get(pk=run.pk, authority_id=run.authority_id)
    _settings, _existing, count = role_refusal(run)
    generation = PesGeneration.objects.select_for_update().filter(run_id=run.pk).first()
    if generation is not None and generation.is_going_on and not generation.is_stalled:
        raise TreasuryError(_going_on_refusal(run, generation))
    values = {
        "status": PesGenerationStatus.PENDING,
        "pieces_done": 0,
        "pieces_total": count,
        "files": 0,
        "message": "",
        "requested_at": timezone.now(),
        "requested_by": by,
        "started_at": None,
        "finished_at": None,
    }
    if generation is None:
        generation = PesGeneration.objects.create(
            authority_id=run.authority_id, run=run, attempt=1, **values
        )
    else:
        for name, value in values.items():
            setattr(generation, name, value)
        generation.attempt += 1
        generation.save(update_fields=[*values, "attempt", "updated_at"])
    pk, attempt = generation.pk, generation.attempt
    transaction.on_commit(
        lambda: pes_generation_enqueue(generation_id=pk, attempt=attempt), robust=True
    )
    return generation


def pes_generation_enqueue(*, generation_id: int, attempt: int) -> None:
    from .tasks import pes_generation_execute_task

    pes_generation_execute_task.enqueue(generation_id, attempt)


def _failure_message(error: BaseException) -> str:
    if isinstance(error, TreasuryError):
        told = error.message.rstrip(" .")
        return (
            f"La génération du rôle a échoué : {told}. Aucun fichier n'a été enregistré. "
            "Corrigez ce qui est indiqué (réglages de comptabilité publique ou fiche de "
            "l'usager), puis relancez « Générer le fichier PES »."
        )
    return (
        f"La génération du rôle s'est arrêtée sur une erreur ({type(error).__name__} : "
        f"{error}). Aucun fichier n'a été enregistré : relancez « Générer le fichier PES » ; "
        "si l'erreur revient, transmettez ce message à l'administrateur de Levée."
    )


def pes_generation_execute(*, generation_id: int, attempt: int | None = None) -> PesGeneration:
    """The task's work: claims the generation asked (« En cours de génération »), writes
    the rôle telling its progress (pieces written out of those to write), then records
    « Générée et contrôlée » or « Échec » with the French message of what failed. A
    generation already claimed, finished, or asked again since (`attempt`) is left alone."""
    now = timezone.now()
    claim = PesGeneration.objects.filter(pk=generation_id, status=PesGenerationStatus.PENDING)
    if attempt is not None:
        claim = claim.filter(attempt=attempt)
    claimed = claim.update(status=PesGenerationStatus.RUNNING, started_at=now, updated_at=now)
    generation = PesGeneration.objects.select_related("run", "requested_by").get(pk=generation_id)
    if not claimed:
        return generation
    mine = PesGeneration.objects.filter(pk=generation_id, attempt=generation.attempt)

    def progress(done: int, total: int) -> None:
        mine.update(pieces_done=done, pieces_total=total, updated_at=timezone.now())

    attach_pdfs = (
        PublicAccountingSettings.objects.filter(authority_id=generation.authority_id)
        .values_list("attach_pdfs", flat=True)
        .first()
    )
    try:
        files = pes_file_generate(
            run=generation.run,
            by=generation.requested_by,
            progress=progress,
            chunk_size=PDF_PROGRESS_CHUNK if attach_pdfs else CHUNK_SIZE,
        )
    except Exception as error:
        if not isinstance(error, TreasuryError):
            logger.exception("PES generation %s failed", generation_id)
        mine.update(
            status=PesGenerationStatus.FAILED,
            message=_failure_message(error)[:2000],
            finished_at=timezone.now(),
            updated_at=timezone.now(),
        )
    else:
        pieces = sum(f.pieces for f in files)
        mine.update(
            status=PesGenerationStatus.DONE,
            files=len(files),
            pieces_done=pieces,
            pieces_total=pieces,
            finished_at=timezone.now(),
            updated_at=timezone.now(),
        )
    return PesGeneration.objects.get(pk=generation_id)


def _locked(pes_file: PesFile) -> PesFile:
    return PesFile.objects.select_for_update().get(
        pk=pes_file.pk, authority_id=pes_file.authority_id
    )


@transaction.atomic
def pes_file_mark_transmitted(
    *, pes_file: PesFile, by, at: datetime.datetime | None = None
) -> PesFile:
    """« Transmis »: the agent sent the file to the public accountant (by the TDT or the
    DGFiP's portal). From now on the rôle can no longer be regenerated."""
    pes_file = _locked(pes_file)
    if pes_file.status != PesFileStatus.GENERATED:
        raise TreasuryError(
            f"Ce fichier est déjà {pes_file.get_status_display().lower()} : il ne peut plus être marqué transmis."
        )
    pes_file.status = PesFileStatus.TRANSMITTED
    pes_file.transmitted_at = at or timezone.now()
    pes_file.transmitted_by = by
    pes_file.save(update_fields=["status", "transmitted_at", "transmitted_by", "updated_at"])
    audit_write(
        authority=pes_file.authority,
        actor=by,
        action="pes_file.transmit",
        obj=pes_file,
        before={"status": PesFileStatus.GENERATED},
        after={"status": pes_file.status, "bordereau": pes_file.bordereau},
    )
    return pes_file


def _answer(pes_file: PesFile, *, status: str, by, at, reason: str = "") -> PesFile:
    pes_file = _locked(pes_file)
    if pes_file.status != PesFileStatus.TRANSMITTED:
        raise TreasuryError(
            "Seul un fichier transmis reçoit la réponse du comptable public ; celui-ci est "
            f"{pes_file.get_status_display().lower()}."
        )
    pes_file.status = status
    pes_file.answered_at = at or timezone.now()
    pes_file.answered_by = by
    pes_file.reason = reason
    pes_file.save(update_fields=["status", "answered_at", "answered_by", "reason", "updated_at"])
    return pes_file


@transaction.atomic
def pes_file_mark_accepted(
    *, pes_file: PesFile, by, at: datetime.datetime | None = None
) -> PesFile:
    """« Accepté »: the public accountant took the bordereau's titles in charge."""
    pes_file = _answer(pes_file, status=PesFileStatus.ACCEPTED, by=by, at=at)
    audit_write(
        authority=pes_file.authority,
        actor=by,
        action="pes_file.accept",
        obj=pes_file,
        before={"status": PesFileStatus.TRANSMITTED},
        after={"status": pes_file.status, "bordereau": pes_file.bordereau},
    )
    return pes_file


@transaction.atomic
def pes_file_mark_rejected(
    *, pes_file: PesFile, by, reason: str, at: datetime.datetime | None = None
) -> PesFile:
    """« Rejeté », with the accountant's reason: the bordereau never entered Hélios' books,
    so the rôle may be generated again (its number is reused)."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise TreasuryError("Indiquez le motif du rejet donné par le comptable public.")
    pes_file = _answer(pes_file, status=PesFileStatus.REJECTED, by=by, at=at, reason=reason)
    if pes_file.kind == PesFileKind.CREDIT:
        # Its avoirs never reached Hélios: the next bordereau d'annulation-réduction
        # carries them again.
        _credit_notes_release(pes_file)
    audit_write(
        authority=pes_file.authority,
        actor=by,
        action="pes_file.reject",
        obj=pes_file,
        before={"status": PesFileStatus.TRANSMITTED},
        after={"status": pes_file.status, "bordereau": pes_file.bordereau, "reason": reason},
    )
    return pes_file


def pes_files_summary(files: list[PesFile]) -> str:
    """« 2 fichiers PES, bordereaux 12 à 13 : 8 500 factures, … »: what the command prints."""
    pieces = sum(f.pieces for f in files)
    total = sum(f.total_cents for f in files)
    numbers = [f.bordereau for f in files]
    span = (
        f"bordereau {numbers[0]}"
        if len(numbers) == 1
        else f"bordereaux {numbers[0]} à {numbers[-1]}"
    )
    debited = sum(f.debited for f in files)
    attached = sum(f.attachments for f in files)
    return (
        f"{plural_fr(len(files), 'fichier PES généré', 'fichiers PES générés')} ({span}) : "
        f"{plural_fr(pieces, 'facture')}, {euros(total)} TTC, "
        f"{plural_fr(debited, 'facture prélevée', 'factures prélevées')}, "
        f"{plural_fr(attached, 'PDF joint', 'PDF joints')}."
    )


# --- The accountant's acknowledgement (PES_ACQUIT) -----------------------------------------

# DomaineAck of an answer about a bordereau of titles: 6 Recette, 7 Rôle.
ACK_DOMAINS = {"6", "7"}


def _ack_value(element, name: str) -> str:
    for child in element:
        if isinstance(child.tag, str) and etree.QName(child).localname == name:
            return (child.get("V") or "").strip()
    return ""


def _ack_children(element, name: str) -> list:
    return [
        child
        for child in element
        if isinstance(child.tag, str) and etree.QName(child).localname == name
    ]


def _ack_reason(element) -> str:
    errors = []
    for error in _ack_children(element, "Erreur"):
        text = " ".join(
            p for p in (_ack_value(error, "NumAnoAck"), _ack_value(error, "LibelleAnoAck")) if p
        )
        if text:
            errors.append(text)
    for piece in _ack_children(element, "DetailPiece"):
        number = _ack_value(piece, "NumPiece")
        for error in _ack_children(piece, "Erreur"):
            text = " ".join(
                p for p in (_ack_value(error, "NumAnoAck"), _ack_value(error, "LibelleAnoAck")) if p
            )
            if text:
                errors.append(f"pièce {number} : {text}")
    return " ; ".join(errors)[:2000] or "Rejeté par Hélios (accusé de réception sans motif)."


@transaction.atomic
def pes_acknowledgement_import(*, authority, content: bytes, by) -> list[PesFile]:
    """Reads the accountant's acknowledgement file (PES_ACQUIT, documented by the DGFiP's
    schema `PES_V2_Acquit_Autonome_V2.xsd`) and records its answer on each transmitted
    file it names by exercice and bordereau: EtatAck 1 « Accepté », 0 « Rejeté » with the
    errors it gives as the reason. Returns the files answered; TreasuryError, in French,
    when the file is not an acknowledgement of this authority's transmitted files."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(content, parser)
    except (etree.XMLSyntaxError, ValueError) as error:
        raise TreasuryError(
            "Ce fichier n'est pas un accusé de réception PES lisible (XML)."
        ) from error
    if etree.QName(root).localname.upper() != "PES_ACQUIT":
        raise TreasuryError(
            "Ce fichier n'est pas un accusé de réception PES (PES_ACQUIT) : "
            f"son élément racine est « {etree.QName(root).localname} »."
        )
    settings = PublicAccountingSettings.objects.filter(authority_id=authority.pk).first()
    header = _ack_children(root, "EnTetePES")
    siret = _ack_value(header[0], "IdColl") if header else ""
    if siret and settings and settings.siret and siret != settings.siret:
        raise TreasuryError(
            f"Cet accusé de réception concerne le SIRET {siret}, pas celui de la collectivité "
            f"({settings.siret})."
        )
    answered = []
    technical = []  # a whole file refused before its bordereaux were read
    for acquit in _ack_children(root, "ACQUIT"):
        for element in _ack_children(acquit, "ElementACQUIT"):
            if _ack_value(element, "DomaineAck") not in ACK_DOMAINS:
                if _ack_value(element, "EtatAck") == "0":
                    technical.append(_ack_reason(element))
                continue
            number, year = _ack_value(element, "NumBord"), _ack_value(element, "ExerciceBord")
            if not (number.isdigit() and year.isdigit()):
                continue
            pes_file = PesFile.objects.filter(
                authority_id=authority.pk,
                year=int(year),
                bordereau=int(number),
                status=PesFileStatus.TRANSMITTED,
            ).first()
            if pes_file is None:
                continue
            if _ack_value(element, "EtatAck") == "1":
                answered.append(pes_file_mark_accepted(pes_file=pes_file, by=by))
            else:
                answered.append(
                    pes_file_mark_rejected(pes_file=pes_file, by=by, reason=_ack_reason(element))
                )
    if not answered and technical:
        raise TreasuryError(
            "L'accusé de réception signale un rejet du fichier avant la lecture de ses "
            f"bordereaux : {' ; '.join(technical)}. Enregistrez ce rejet sur le fichier concerné."
        )
    if not answered:
        raise TreasuryError(
            "Cet accusé de réception ne répond à aucun fichier PES transmis de la collectivité "
            "(exercice et n° de bordereau)."
        )
    return answered


# --- The bordereau d'annulation-réduction: avoirs of titles already taken in charge ------

NO_CREDIT_NOTE = (
    "Aucun avoir à transmettre : aucun avoir en attente ne porte sur une facture dont le "
    "rôle a été accepté par le comptable public. Aucun fichier n'a été généré."
)


def _credit_notes_release(pes_file: PesFile) -> None:
    from levee.billing.models import CreditNote

    CreditNote.objects.filter(authority_id=pes_file.authority_id, pes_file_id=pes_file.pk).update(
        pes_file=None, updated_at=timezone.now()
    )


def _credit_number(*, authority, year: int) -> tuple[int, bool]:
    """The bordereau number of a new annulation-réduction file, and whether it comes from
    the sequence: the lowest number of a rejected annulation-réduction file of the
    exercice that no other file took since (it never entered Hélios: reusing it leaves no
    hole), else the sequence's next. To call under the sequence's lock."""
    held = set(
        PesFile.objects.filter(authority_id=authority.pk, year=year)
        .exclude(status=PesFileStatus.REJECTED)
        .values_list("bordereau", flat=True)
    )
    freed = sorted(
        set(
            PesFile.objects.filter(
                authority_id=authority.pk,
                year=year,
                kind=PesFileKind.CREDIT,
                status=PesFileStatus.REJECTED,
            ).values_list("bordereau", flat=True)
        )
        - held
    )
    if freed:
        return freed[0], False
    sequence = PesBordereauSequence.objects.select_for_update().get(
        authority_id=authority.pk, year=year
    )
    return sequence.next_value, True


def _earlier(notes) -> dict[int, list[tuple[int, str]]]:
    """avoir pk → the HT and reason of its invoice's avoirs numbered before it (carried or
    not), in their order."""
    from levee.billing.models import CreditNote

    result: dict[int, list[tuple[int, str]]] = {}
    by_invoice: dict[int, list] = {}
    for other in CreditNote.objects.filter(
        authority_id=notes[0].authority_id, invoice_id__in={n.invoice_id for n in notes}
    ).order_by("year", "number"):
        by_invoice.setdefault(other.invoice_id, []).append(other)
    for note in notes:
        result[note.pk] = [
            (o.total_ht_cents, o.reason)
            for o in by_invoice.get(note.invoice_id, [])
            if (o.year, o.number) < (note.year, note.number)
        ]
    return result


def _credit_pdf_of(note) -> bytes:
    from levee.billing.pdf_credit import credit_note_pdf_kept

    kept = credit_note_pdf_kept(note=note)
    with kept.open("rb") as handle:
        return handle.read()


def pes_credit_file_generate(*, authority, by, today: datetime.date | None = None) -> PesFile:
    """« Générer le fichier d'annulation-réduction »: the avoirs not carried yet whose
    invoice's title the public accountant accepted go out in one bordereau (TypBord 02),
    one piece per avoir referring to that title (`pes.credit_file_write`), checked before it
    is offered. The avoirs are marked carried (`CreditNote.pes_file`).

    A file generated and not yet transmitted is replaced (it keeps its number, its avoirs
    and those issued since go in the new one). The number follows the exercice's sequence
    of bordereaux, shared with the rôles. Synchronous: a few avoirs at a time. TreasuryError,
    in French, when nothing can go out (settings incomplete, no avoir ready); no file then."""
    from levee.billing.models import CreditNote

    from .pes import CreditSpec, credit_file_write
    from .selectors import credit_notes_pending

    settings = PublicAccountingSettings.objects.filter(authority_id=authority.pk).first()
    if settings is None:
        raise TreasuryError(_missing_sentence(["les réglages de comptabilité publique"]))
    missing = settings_missing(settings)
    if missing:
        raise TreasuryError(_missing_sentence(missing))
    now = timezone.now()
    today = today or timezone.localdate()
    stamp = timezone.localtime(now).strftime("%Y%m%d%H%M%S")
    folder = f"pes/{authority.pk}"
    for path in (private_storage.path("pes"), private_storage.path(folder)):
        os.makedirs(path, mode=0o700, exist_ok=True)
    if settings.attach_pdfs:
        # Rendered (and kept) before the transaction, which then only reads them.
        for note in credit_notes_pending(authority)[0]:
            _credit_pdf_of(note)
    partial = ""
    try:
        with transaction.atomic():
            # One generation at a time per authority: the exercice's numbering is locked
            # first, then the file it may replace and the avoirs.
            replaced = (
                PesFile.objects.select_for_update()
                .filter(
                    authority_id=authority.pk,
                    kind=PesFileKind.CREDIT,
                    status=PesFileStatus.GENERATED,
                )
                .first()
            )
            year = replaced.year if replaced else today.year
            PesBordereauSequence.objects.get_or_create(authority=authority, year=year)
            sequence = PesBordereauSequence.objects.select_for_update().get(
                authority_id=authority.pk, year=year
            )
            if replaced is not None:
                _credit_notes_release(replaced)
            ready, _waiting = credit_notes_pending(authority)
            if not ready:
                raise TreasuryError(NO_CREDIT_NOTE)
            list(CreditNote.objects.select_for_update().filter(pk__in=[n.pk for n in ready]))
            if replaced is not None:
                bordereau, from_sequence = replaced.bordereau, False
                old_name = replaced.file.name
                PesFile.objects.filter(pk=replaced.pk).delete()
            else:
                bordereau, from_sequence = _credit_number(authority=authority, year=year)
                old_name = ""
            spec = CreditSpec(
                settings=settings,
                year=year,
                bordereau=bordereau,
                name=_file_name(settings, year, bordereau, stamp),
                generated_on=today,
                stamp=stamp,
                notes=ready,
                titles={n.pk: n.title for n in ready},
                earlier=_earlier(ready),
            )
            name = f"{folder}/{spec.name}.xml"
            partial = f"{private_storage.path(name)}.credit-{secrets.token_hex(6)}.part"
            counts = credit_file_write(
                spec, partial, pdf_of=_credit_pdf_of if settings.attach_pdfs else None
            )
            problems = pes_check(partial)
            if problems:
                raise TreasuryError(
                    f"Le fichier d'annulation-réduction du bordereau {bordereau} ne passe pas "
                    "le contrôle : "
                    + " ; ".join(problems[:10])
                    + ("…" if len(problems) > 10 else ""),
                    problems,
                )
            os.chmod(partial, 0o600)
            if from_sequence:
                sequence.next_value = bordereau + 1
                sequence.save(update_fields=["next_value"])
            pes_file = PesFile.objects.create(
                authority=authority,
                kind=PesFileKind.CREDIT,
                run=None,
                year=year,
                bordereau=bordereau,
                part=1,
                name=spec.name,
                pieces=counts.pieces,
                lines=counts.lines,
                attachments=counts.attachments,
                total_ht_cents=counts.total_ht_cents,
                vat_cents=counts.vat_cents,
                file=name,
                size=os.path.getsize(partial),
                generated_at=now,
                generated_by=by,
            )
            CreditNote.objects.filter(
                authority_id=authority.pk, pk__in=[n.pk for n in ready]
            ).update(pes_file=pes_file, updated_at=now)
            audit_write(
                authority=authority,
                actor=by,
                action="pes_file.generate",
                obj=pes_file,
                after={
                    "kind": PesFileKind.CREDIT.value,
                    "year": year,
                    "bordereau": bordereau,
                    "pieces": counts.pieces,
                    "total_ht_cents": counts.total_ht_cents,
                    "credit_notes": [n.number for n in ready],
                },
            )
            os.replace(partial, private_storage.path(name))
            partial = private_storage.path(name)
            if old_name and old_name != name:
                transaction.on_commit(lambda: private_storage.delete(old_name))
    except BaseException as error:
        if partial:
            _remove([partial])
        if isinstance(error, PesError):
            raise TreasuryError(str(error)) from error
        raise
    return pes_file
