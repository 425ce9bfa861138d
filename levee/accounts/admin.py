from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from levee.lib.admin import ModelAdmin

from .models import AccountAccess, AccountOpeningRequest, PendingSignup, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "last_name", "first_name", "is_active", "is_staff"]
    search_fields = ["email", "last_name", "first_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Identité", {"fields": ["first_name", "last_name"]}),
        (
            "Droits",
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        ("Dates", {"fields": ["date_joined", "activated_at", "last_login"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]


@admin.register(AccountAccess)
class AccountAccessAdmin(ModelAdmin):
    list_display = ["user", "account", "authority", "created_at"]
    list_filter = ["authority"]
    search_fields = ["user__email", "account__code", "account__last_name"]
    raw_id_fields = ["user", "account"]


@admin.register(AccountOpeningRequest)
class AccountOpeningRequestAdmin(ModelAdmin):
    delete_selected_description = "Supprimer les demandes d'ouverture de compte sélectionnées"
    list_display = ["last_name", "first_name", "authority", "status", "created_at"]
    list_filter = ["authority", "status"]
    exclude = ["proof", "password"]
    readonly_fields = [
        f.name for f in AccountOpeningRequest._meta.fields if f.name not in ("proof", "password")
    ]

    def has_add_permission(self, request):
        return False


@admin.register(PendingSignup)
class PendingSignupAdmin(ModelAdmin):
    """Read only: a pending sign-up becomes a login through its activation link only."""

    delete_selected_description = "Supprimer les créations d'espace en attente sélectionnées"
    list_display = ["email", "account", "authority", "created_at", "used_at"]
    list_filter = ["authority"]
    search_fields = ["email", "account__code"]
    exclude = ["password"]
    readonly_fields = [f.name for f in PendingSignup._meta.fields if f.name != "password"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
