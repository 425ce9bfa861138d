"""The changes of « Comptabilité publique »: the settings' defaults, the rôle's PES files
and their life (transmis, accepté, rejeté), each audited."""

import datetime
import os
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
    PesFileStatus,
    PublicAccountingSettings,
    luhn_valid,
)
from .pes import CHUNK_SIZE, FileSpec, PesError, file_totals, pes_file_write, titled_invoices
from .pes_check import pes_check

PRODUCT_CODE_LENGTH = 4
NATURE_LENGTH = 12


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


def _numbers(*, authority, year: int, reusable: list[int], needed: int) -> list[int]:
    """`needed` bordereau numbers: first those the run's earlier files (never accepted by
    Hélios) held, then new ones from the sequence. Numbers left over go back to the sequence
    when they are its last; otherwise the sequence would have a hole, and it is refused."""
    sequence, _ = PesBordereauSequence.objects.get_or_create(authority=authority, year=year)
    sequence = PesBordereauSequence.objects.select_for_update().get(pk=sequence.pk)
    numbers = sorted(set(reusable))[:needed]
    leftover = sorted(set(reusable))[needed:]
    if leftover:
        if leftover != list(range(leftover[0], sequence.next_value)):
            raise TreasuryError(
                "Le rôle compte moins de fichiers qu'avant et d'autres bordereaux ont été numérotés "
                f"depuis : les n° {', '.join(map(str, leftover))} laisseraient un trou dans la "
                "numérotation. Rétablissez le nombre de factures par fichier."
            )
        sequence.next_value = leftover[0]
    while len(numbers) < needed:
        numbers.append(sequence.next_value)
        sequence.next_value += 1
    sequence.save(update_fields=["next_value"])
    return numbers


def _boundaries(run: BillingRun, per_file: int, count: int) -> list[tuple[int, int]]:
    """(first, last) invoice pk of each file: one query per file, not per invoice."""
    ids = titled_invoices(run).values_list("pk", flat=True)
    bounds = []
    for start in range(0, count, per_file):
        end = min(start + per_file, count) - 1
        bounds.append((ids[start], ids[end]))
    return bounds


@transaction.atomic
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
    correction goes out as a new bordereau. TreasuryError, in French, when it cannot."""
    run = BillingRun.objects.select_for_update().select_related("authority").get(pk=run.pk)
    authority = run.authority
    refusal = run_refusal(run)
    if refusal:
        raise TreasuryError(refusal)
    settings = PublicAccountingSettings.objects.filter(authority_id=authority.pk).first()
    if settings is None:
        raise TreasuryError(_missing_sentence(["les réglages de comptabilité publique"]))
    missing = settings_missing(settings)
    if missing:
        raise TreasuryError(_missing_sentence(missing))
    existing = list(PesFile.objects.filter(authority_id=authority.pk, run_id=run.pk))
    if any(f.status in (PesFileStatus.TRANSMITTED, PesFileStatus.ACCEPTED) for f in existing):
        raise TreasuryError(
            "Le rôle de cette facturation a été transmis au comptable public : il ne peut plus "
            "être généré à nouveau. Une correction part dans un nouveau bordereau."
        )
    count = titled_invoices(run).count()
    if not count:
        raise TreasuryError("Cette facturation n'a aucune facture à transmettre en titre.")
    now = timezone.now()
    today = today or timezone.localdate()
    year = run.issued_on.year
    stamp = timezone.localtime(now).strftime("%Y%m%d%H%M%S")
    bounds = _boundaries(run, settings.pieces_per_file, count)
    numbers = _numbers(
        authority=authority,
        year=year,
        reusable=[f.bordereau for f in existing if f.year == year],
        needed=len(bounds),
    )
    replaced = [f for f in existing if f.status == PesFileStatus.GENERATED]
    PesFile.objects.filter(pk__in=[f.pk for f in replaced]).delete()
    folder = f"pes/{authority.pk}"
    for path in (private_storage.path("pes"), private_storage.path(folder)):
        os.makedirs(path, mode=0o700, exist_ok=True)
    written_paths: list[str] = []
    files: list[PesFile] = []
    done = 0
    try:
        for part, ((first_id, last_id), bordereau) in enumerate(
            zip(bounds, numbers, strict=True), 1
        ):
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
            path = private_storage.path(name)
            partial = f"{path}.part"
            written_paths.append(partial)
            written = pes_file_write(
                spec,
                partial,
                pdf_of=_pdf_of if settings.attach_pdfs else None,
                progress=(lambda n, done=done: progress(done + n, count)) if progress else None,
                chunk_size=chunk_size,
            )
            problems = pes_check(partial)
            if problems:
                raise TreasuryError(
                    f"Le fichier PES du bordereau {bordereau} ne passe pas le contrôle : "
                    + " ; ".join(problems[:10])
                    + ("…" if len(problems) > 10 else ""),
                    problems,
                )
            os.chmod(partial, 0o600)  # as private storage keeps its files
            os.replace(partial, path)
            written_paths[-1] = path
            done += written.pieces
            files.append(
                PesFile.objects.create(
                    authority=authority,
                    run=run,
                    year=year,
                    bordereau=bordereau,
                    part=part,
                    name=spec.name,
                    pieces=written.pieces,
                    lines=written.lines,
                    debited=written.debited,
                    attachments=written.attachments,
                    total_ht_cents=written.total_ht_cents,
                    vat_cents=written.vat_cents,
                    first_invoice_id=first_id,
                    last_invoice_id=last_id,
                    file=name,
                    size=os.path.getsize(path),
                    generated_at=now,
                    generated_by=by,
                )
            )
    except BaseException as error:
        for path in written_paths:
            if os.path.exists(path):
                os.remove(path)
        if isinstance(error, PesError):
            raise TreasuryError(str(error)) from error
        raise
    old_names = [f.file.name for f in replaced if f.file.name]
    transaction.on_commit(
        lambda: [
            private_storage.delete(n) for n in old_names if n not in {f.file.name for f in files}
        ]
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
    return files


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
