"""The one writer of the audit log: every service that changes a resident's data on an
agent's (or the operator's) behalf calls it in its own transaction."""

from .models import AuditEntry


def audit_write(
    *, authority, actor, action: str, obj, before: dict | None = None, after: dict | None = None
) -> AuditEntry:
    """Writes who (`actor`) did what (`action`, e.g. "account.key_regenerate") to which
    object, with the values before and after."""
    return AuditEntry.objects.create(
        authority=authority,
        actor=actor,
        action=action,
        object_type=obj._meta.label,
        object_id=str(obj.pk),
        before=before or {},
        after=after or {},
    )
