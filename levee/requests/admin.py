"""The operator reads the demandes in the platform's admin; agents decide them in the back
office, where every decision is audited, so the admin changes nothing."""

from django.contrib import admin

from .models import RequestMessage, RequestStatusChange, ServiceRequest


class ReadOnlyInline(admin.TabularInline):
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
class ServiceRequestAdmin(admin.ModelAdmin):
    list_display = ["created_at", "authority", "account", "kind", "status", "decided_at"]
    list_filter = ["authority", "kind", "status"]
    search_fields = ["account__code", "account__last_name", "requested_by__email"]
    list_select_related = ["authority", "account"]
    inlines = [MessageInline, StatusChangeInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
