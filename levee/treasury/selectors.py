"""Reads of « Comptabilité publique »: the settings and the PES files of an authority."""

from django.db.models import OuterRef, QuerySet, Subquery

from .models import PesFile, PesFileStatus, PesGeneration, PublicAccountingSettings


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
