from django.contrib import admin

from levee.lib.admin import ModelAdmin, TabularInline

from .models import Account, Subscription


class SubscriptionInline(TabularInline):
    """The IBAN shows masked, like everywhere else, and is not changed here: a mandate
    changes it (« Je choisis le prélèvement automatique »)."""

    model = Subscription
    extra = 0
    autocomplete_fields = ["commune"]
    exclude = ["iban"]
    readonly_fields = ["iban_shown"]

    @admin.display(description="IBAN")
    def iban_shown(self, subscription):
        return subscription.iban_masked


@admin.register(Account)
class AccountAdmin(ModelAdmin):
    list_display = ["code", "holder_name", "authority", "portal_key"]
    list_filter = ["authority"]
    search_fields = ["code", "last_name", "company_name", "portal_key"]
    inlines = [SubscriptionInline]
