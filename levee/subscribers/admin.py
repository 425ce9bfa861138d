from django.contrib import admin

from .models import Account, Subscription


class SubscriptionInline(admin.TabularInline):
    model = Subscription
    extra = 0
    autocomplete_fields = ["commune"]


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ["code", "holder_name", "authority", "portal_key"]
    list_filter = ["authority"]
    search_fields = ["code", "last_name", "company_name", "portal_key"]
    inlines = [SubscriptionInline]
