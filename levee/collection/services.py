"""An agent's imports: the upload and the retry of an import batch, each audited."""

from django.db import transaction

from levee.accounts.models import User
from levee.audit.services import audit_write

from .importers import import_batch_create, import_batch_retry
from .models import ImportBatch, ImportStatus


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
