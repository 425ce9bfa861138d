"""Reads of « Comptabilité publique »: the settings and the PES files of an authority."""

from typing import TYPE_CHECKING

from django.db.models import OuterRef, QuerySet, Subquery

from .models import PesFile, PesFileStatus, PesGeneration, PublicAccountingSettings

if TYPE_CHECKING:
    from .pes import CreditTitle


def public_accounting_settings_of(authority) -> PublicAccountingSettings | None:
    return PublicAccountingSettings.objects.filter(authority_id=authority.pk).first()


def role_runs_of(authority, limit: int = 20):
    """The authority's real runs, the latest first: each may make (or has made) a rôle."""
    from levee.billing.models import BillingRun, RunKind

    return list(
        BillingRun.objects.filter(authority_id=authority.pk, kind=RunKind.REAL).order_by(
            "-issued_on", "-pk"
        )[:limit]
    )


def pes_generations_of_runs(runs) -> dict[int, PesGeneration]:
    """The generation of each run's rôle (the last one asked), by run pk."""
    if not runs:
        return {}
    return {
        g.run_id: g
        for g in PesGeneration.objects.filter(
            authority_id=runs[0].authority_id, run_id__in=[r.pk for r in runs]
        )
    }


def pes_files_of_authority(authority):
    """The authority's PES files, the latest bordereaux first, with their run."""
    return (
        PesFile.objects.filter(authority_id=authority.pk)
        .select_related("run", "generated_by", "transmitted_by", "answered_by")
        .order_by("-year", "-bordereau", "-created_at")
    )


def pes_files_of_run(run):
    """A run's PES files in the order of their bordereaux (rejected ones kept as history)."""
    return (
        PesFile.objects.filter(authority_id=run.authority_id, run_id=run.pk)
        .select_related("generated_by", "transmitted_by", "answered_by")
        .order_by("part", "created_at")
    )


def authority_sends_titles(authority) -> bool:
    """Whether the authority's invoices become titles of its public accountant (PES mode).
    Read through the reverse one-to-one, so a page of many invoices reads it once."""
    try:
        return authority.public_accounting_settings.is_pes
    except PublicAccountingSettings.DoesNotExist:
        return False


def _accepted_files_of(invoice_pk, run_id, authority_id) -> QuerySet[PesFile]:
    return PesFile.objects.filter(
        authority_id=authority_id,
        run_id=run_id,
        status=PesFileStatus.ACCEPTED,
        first_invoice_id__lte=invoice_pk,
        last_invoice_id__gte=invoice_pk,
    )


def invoices_annotate_title(invoices: QuerySet) -> QuerySet:
    """Adds `title_year`: the exercice of the accepted bordereau carrying each invoice as a
    title (None when no accepted file carries it), without one query per row."""
    return invoices.annotate(
        title_year=Subquery(
            _accepted_files_of(OuterRef("pk"), OuterRef("run_id"), OuterRef("authority_id"))
            .order_by()
            .values("year")[:1]
        )
    )


def invoice_title_year(invoice) -> int | None:
    """The exercice (Exer) of the accepted bordereau that carries the invoice as a title;
    None while no file the public accountant accepted carries it."""
    if hasattr(invoice, "title_year"):
        return invoice.title_year
    if invoice.run_id is None:
        return None
    return (
        _accepted_files_of(invoice.pk, invoice.run_id, invoice.authority_id)
        .values_list("year", flat=True)
        .first()
    )


# --- The avoirs a bordereau d'annulation-réduction carries --------------------------------

# Why an avoir not carried yet cannot go out now, by case (« Avoirs à transmettre »).
CREDIT_WAITS_FOR_ROLE = (
    "en attente : le rôle de sa facture n'est pas encore accepté par le comptable public"
)
CREDIT_NO_TITLE = "hors PES : sa facture n'est le titre d'aucun rôle accepté (facture reprise de l'ancien logiciel, ou réglée avant son rôle)"


def credit_note_titles(notes) -> dict[int, "CreditTitle"]:
    """avoir pk → the title its invoice became: the exercice and bordereau of the accepted
    rôle file that carried the invoice, and its IdPce there (as written,
    `PesFile.piece_number_of`). An avoir whose invoice no accepted rôle carries is absent."""
    from .models import PesFileKind
    from .pes import CreditTitle

    notes = list(notes)
    if not notes:
        return {}
    files = list(
        PesFile.objects.filter(
            authority_id=notes[0].authority_id,
            kind=PesFileKind.ROLE,
            status=PesFileStatus.ACCEPTED,
            run_id__in={n.invoice.run_id for n in notes} - {None},
        )
    )
    titles = {}
    for note in notes:
        for pes_file in files:
            if pes_file.run_id != note.invoice.run_id:
                continue
            number = pes_file.piece_number_of(note.invoice_id)
            if number is not None:
                titles[note.pk] = CreditTitle(pes_file.year, pes_file.bordereau, number)
                break
    return titles


def credit_notes_pending(authority) -> tuple[list, list]:
    """The authority's avoirs no PES file carries yet (`billing.selectors_credit_notes.
    credit_notes_to_carry`), split into those ready to go out as reductions (their
    invoice's title was accepted: each with `.title`) and those that cannot yet or ever
    (each with `.waits`, why, in French): an invoice whose rôle is not accepted yet waits
    for it; one that no rôle will carry (brought from the previous software, or taken out
    of its rôle, paid before it) stays out of the PES."""
    from levee.billing.selectors_credit_notes import credit_notes_to_carry

    notes = list(credit_notes_to_carry(authority).select_related("invoice__account"))
    titles = credit_note_titles(notes)
    # A run whose rôle went out whole: accepted files, none generated or transmitted still.
    statuses: dict[int, set[str]] = {}
    for run_id, status in PesFile.objects.filter(
        authority_id=authority.pk, run_id__in={n.invoice.run_id for n in notes} - {None}
    ).values_list("run_id", "status"):
        statuses.setdefault(run_id, set()).add(status)
    sent_runs = {
        run_id
        for run_id, seen in statuses.items()
        if PesFileStatus.ACCEPTED in seen
        and not seen & {PesFileStatus.GENERATED, PesFileStatus.TRANSMITTED}
    }
    ready, waiting = [], []
    for note in notes:
        note.title = titles.get(note.pk)
        if note.title is not None:
            ready.append(note)
            continue
        run_id = note.invoice.run_id
        note.waits = (
            CREDIT_WAITS_FOR_ROLE
            if run_id is not None and run_id not in sent_runs
            else CREDIT_NO_TITLE
        )
        waiting.append(note)
    return ready, waiting


def credit_files_of_authority(authority):
    """The authority's bordereaux d'annulation-réduction, the latest first, with the avoirs
    each carries."""
    from .models import PesFileKind

    return (
        PesFile.objects.filter(authority_id=authority.pk, kind=PesFileKind.CREDIT)
        .select_related("generated_by", "transmitted_by", "answered_by")
        .prefetch_related("credit_notes")
        .order_by("-year", "-bordereau", "-created_at")
    )
