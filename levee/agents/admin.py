from django.contrib import admin

from levee.audit.services import audit_write
from levee.lib.admin import ModelAdmin

from .models import Agent

AUDITED_FIELDS = ["role", "is_active"]


@admin.register(Agent)
class AgentAdmin(ModelAdmin):
    """The operator attaches agents to an authority and sets their roles; each change is
    written to the authority's audit log like the administrators' own."""

    list_display = ["user", "authority", "role", "is_active"]
    list_filter = ["authority", "role", "is_active"]
    list_editable = ["role", "is_active"]
    fields = ["authority", "user", "role", "is_active"]
    autocomplete_fields = ["user"]
    search_fields = ["user__email"]

    def save_model(self, request, obj, form, change):
        before = {}
        if change:
            before = dict(Agent.objects.filter(pk=obj.pk).values(*AUDITED_FIELDS).first() or {})
        super().save_model(request, obj, form, change)
        after = {name: getattr(obj, name) for name in AUDITED_FIELDS}
        if before == after:
            return
        audit_write(
            authority=obj.authority,
            actor=request.user,
            action="agent.change" if change else "agent.add",
            obj=obj,
            before={k: v for k, v in before.items() if after.get(k) != v},
            after={k: v for k, v in after.items() if before.get(k) != v} if change else after,
        )
