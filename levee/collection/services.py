"""An agent's imports: the upload and the retry of an import batch, each audited; and the
cancellation of a lift."""

from django.db import transaction

from levee.accounts.models import User
from levee.audit.services import audit_write

from .importers import import_batch_create, import_batch_retry
from .models import CancelledLift, ImportBatch, ImportStatus, Lift


@transaction.atomic
def import_upload(*, authority, kind: str, upload, agent_user: User) -> ImportBatch:
    """Stores the agent's file with a new batch, run by a task once this commits."""
    batch = import_batch_create(
        authority=authority, kind=kind, upload=upload, created_by=agent_user
    )
    audit_write(
        authority=authority,
        actor=agent_user,
        action="import.upload",
        obj=batch,
        after={"kind": kind, "filename": batch.filename, "size_bytes": batch.size_bytes},
    )
    return batch


@transaction.atomic
def import_retry(*, batch: ImportBatch, agent_user: User) -> bool:
    """Runs again a failed batch, or one whose run died; False when it cannot be."""
    before = batch.status
    if not import_batch_retry(batch=batch):
        return False
    audit_write(
        authority=batch.authority,
        actor=agent_user,
        action="import.retry",
        obj=batch,
        before={"status": before},
        after={"status": ImportStatus.RUNNING},
    )
    return True


@transaction.atomic
def lift_cancel(*, lift: Lift, cancelled_by: User | None) -> bool:
    """Cancels a lift (« Annuler cette levée » of an accepted contest): deletes it, and keeps
    its bin and time in `CancelledLift`, so that no import brings it back. False when the
    lift was already gone. The caller audits (the lift's values go in its audit row)."""
    deleted, _ = Lift.objects.filter(pk=lift.pk, authority_id=lift.authority_id).delete()
    if not deleted:
        return False
    CancelledLift.objects.get_or_create(
        authority_id=lift.authority_id,
        bin_id=lift.bin_id,
        lifted_at=lift.lifted_at,
        defaults={"net_weight_grams": lift.net_weight_grams, "cancelled_by": cancelled_by},
    )
    return True
