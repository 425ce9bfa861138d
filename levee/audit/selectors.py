from .models import AuditEntry


def audit_entries(*, authority, object_type: str = "", object_id: str = ""):
    """The authority's audit log, newest first; one object's entries when named."""
    entries = AuditEntry.objects.filter(authority=authority).select_related("actor")
    if object_type:
        entries = entries.filter(object_type=object_type, object_id=object_id)
    return entries.order_by("-created_at", "-pk")
