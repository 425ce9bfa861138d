"""The one writer of the audit log: every service that changes a resident's data on an
agent's (or the operator's) behalf calls it in its own transaction."""

from .models import AuditEntry


def audit_write(
    *,
    authority,
    actor=None,
    action: str,
    obj,
    before: dict | None = None,
    after: dict | None = None,
    api_key=None,
) -> AuditEntry:
    """Writes who (`actor`, a login; or `api_key`, an authority's key calling the API) did
    what (`action`, e.g. "account.key_regenerate") to which object, with the values before
    and after."""
    if actor is None and api_key is None:
        raise ValueError("an audit entry needs an actor or an API key")
    return AuditEntry.objects.create(
        authority=authority,
        actor=actor,
        api_key=api_key,
        action=action,
        object_type=obj._meta.label,
        object_id=str(obj.pk),
        before=before or {},
        after=after or {},
    )
