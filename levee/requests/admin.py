"""The operator reads the demandes in the platform's admin; agents decide them in the back
office, where every decision is audited, so the admin changes nothing."""

import json

from django.contrib import admin
from django.utils.html import format_html

from levee.lib.admin import ModelAdmin, TabularInline
from levee.lib.text import iban_mask

from .models import RequestMessage, RequestStatusChange, ServiceRequest


def _values_shown(values: dict):
    """A request's values as JSON, the IBAN (« Je choisis le prélèvement automatique »)
    masked like everywhere else."""
    masked = {
        key: iban_mask(value) if key == "iban" and value else value
        for key, value in (values or {}).items()
    }
    return format_html("<pre>{}</pre>", json.dumps(masked, ensure_ascii=False, indent=2))


class ReadOnlyInline(TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class MessageInline(ReadOnlyInline):
    model = RequestMessage
    fields = ["created_at", "author", "author_role", "body", "attachment_name"]
    readonly_fields = fields


class StatusChangeInline(ReadOnlyInline):
    model = RequestStatusChange
    fields = ["created_at", "from_status", "to_status", "changed_by", "by_agent", "note"]
    readonly_fields = fields


@admin.register(ServiceRequest)
class ServiceRequestAdmin(ModelAdmin):
    delete_selected_description = "Supprimer les demandes sélectionnées"
    list_display = ["created_at", "authority", "account", "kind", "status", "decided_at"]
    list_filter = ["authority", "kind", "status"]
    search_fields = ["account__code", "account__last_name", "requested_by__email"]
    list_select_related = ["authority", "account"]
    inlines = [MessageInline, StatusChangeInline]
    exclude = ["requested", "snapshot", "outcome"]
    readonly_fields = ["requested_shown", "snapshot_shown", "outcome_shown"]

    @admin.display(description="valeurs demandées")
    def requested_shown(self, service_request):
        return _values_shown(service_request.requested)

    @admin.display(description="valeurs au moment de la demande")
    def snapshot_shown(self, service_request):
        return _values_shown(service_request.snapshot)

    @admin.display(description="résultat")
    def outcome_shown(self, service_request):
        return _values_shown(service_request.outcome)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
