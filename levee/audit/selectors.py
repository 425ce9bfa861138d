import datetime

from django.apps import apps
from django.db.models import CharField, Q
from django.db.models.functions import Cast

from .models import AuditEntry
from .sentences import actor_name

# « Type d'action » of the Journal's filters: the prefixes of the action codes of each kind.
ACTION_KINDS = {
    "comptes": ("Comptes usagers", ("account.", "opening_request.")),
    "demandes": ("Demandes", ("service_request.",)),
    "facturation": (
        "Facturation",
        ("billing_settings.", "billing_run.", "invoice_sequence.", "tariff."),
    ),
    "paiements": ("Paiements", ("payment.", "debit_file.", "debit_rejects.")),
    "calendriers": ("Calendriers", ("calendar.",)),
    "imports": ("Imports", ("import.",)),
    "agents": ("Agents", ("agent.",)),
    "integrations": ("Intégrations", ("api_key.", "webhook.")),
}

# The objects of an account's entries beside the account itself: (model, its account field).
ACCOUNT_OBJECTS = (
    ("requests.ServiceRequest", "account"),
    ("accounts.AccountOpeningRequest", "account"),
    ("payments.Payment", "account"),
    ("billing.CreditNote", "invoice__account"),
)


def audit_entries(
    *,
    authority,
    object_type: str = "",
    object_id: str = "",
    actor_id: int | None = None,
    account=None,
    kind: str = "",
    day_from: datetime.date | None = None,
    day_to: datetime.date | None = None,
):
    """The authority's audit log, newest first; one object's entries when named, one agent's,
    one account's (its own and its requests', openings', payments' and avoirs'), one kind of action,
    from a day to a day (Paris days, both included)."""
    entries = AuditEntry.objects.filter(authority=authority).select_related(
        "actor", "api_key__created_by"
    )
    if object_type:
        entries = entries.filter(object_type=object_type, object_id=object_id)
    if actor_id is not None:
        entries = entries.filter(actor_id=actor_id)
    if account is not None:
        entries = entries.filter(account_entries_filter(account))
    if kind in ACTION_KINDS:
        prefixes = Q()
        for prefix in ACTION_KINDS[kind][1]:
            prefixes |= Q(action__startswith=prefix)
        entries = entries.filter(prefixes)
    if day_from is not None:
        entries = entries.filter(created_at__date__gte=day_from)
    if day_to is not None:
        entries = entries.filter(created_at__date__lte=day_to)
    return entries.order_by("-created_at", "-pk")


def account_entries_filter(account) -> Q:
    """The entries about an account: on it, or on one of its requests, openings, payments,
    its invoices' avoirs."""
    about = Q(object_type="subscribers.Account", object_id=str(account.pk))
    for label, field in ACCOUNT_OBJECTS:
        model = apps.get_model(label)
        ids = (
            model.objects.filter(authority_id=account.authority_id, **{field: account})
            .annotate(text_id=Cast("pk", CharField()))
            .values("text_id")
        )
        about |= Q(object_type=label, object_id__in=ids)
    return about


def audit_entries_of_account(account, *, limit: int = 10) -> list[AuditEntry]:
    """An account's latest entries, for its page of the back office."""
    return list(audit_entries(authority=account.authority_id, account=account)[:limit])


def audit_actors(authority) -> list:
    """The logins that wrote in the authority's log (the « Agent » filter), by name."""
    User = apps.get_model("accounts.User")
    return list(
        User.objects.filter(
            pk__in=AuditEntry.objects.filter(authority=authority, actor__isnull=False).values(
                "actor_id"
            )
        ).order_by("last_name", "first_name", "email")
    )


def import_pushers(authority, batches) -> dict[int, str]:
    """batch pk → « Clé API Camions (créée par Pierrick Dupont) », for the batches an
    authority's software pushed through the API (their audit entry names the key)."""
    ids = [str(b.pk) for b in batches if b.created_by_id is None]
    if not ids:
        return {}
    entries = AuditEntry.objects.filter(
        authority=authority,
        action="import.api_push",
        object_type="collection.ImportBatch",
        object_id__in=ids,
        api_key__isnull=False,
    ).select_related("api_key__created_by")
    return {int(e.object_id): actor_name(e) for e in entries}
