from django.contrib import admin, messages

from .models import PersonalAccessToken
from .services import token_revoke


@admin.register(PersonalAccessToken)
class PersonalAccessTokenAdmin(admin.ModelAdmin):
    """The operator reads the tokens and revokes a leaked one; neither he nor anybody
    creates or edits one here, and no page shows its digest."""

    list_display = [
        "name",
        "user",
        "prefix",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
    ]
    list_filter = ["revoked_at"]
    search_fields = ["user__email", "name", "prefix"]
    list_select_related = ["user"]
    fields = [
        "user",
        "name",
        "prefix",
        "scope",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
    ]
    readonly_fields = fields
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description="Révoquer les jetons sélectionnés")
    def revoke(self, request, queryset):
        revoked = sum(token_revoke(user=t.user, token_id=t.pk) for t in queryset)
        messages.success(request, f"Jetons révoqués : {revoked}.")
