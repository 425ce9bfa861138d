"""Reads of « Comptabilité publique »: the settings and the PES files of an authority."""

from .models import PesFile, PublicAccountingSettings


def public_accounting_settings_of(authority) -> PublicAccountingSettings | None:
    return PublicAccountingSettings.objects.filter(authority_id=authority.pk).first()


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
