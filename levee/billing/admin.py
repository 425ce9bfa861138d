from django.contrib import admin

from levee.billing.models import (
    BillingRun,
    BillingSettings,
    CreditNote,
    Invoice,
    InvoiceLine,
    InvoiceReminder,
    InvoiceSequence,
    Tariff,
    TariffPlan,
    UsageAlert,
    UsageAlertOptOut,
)
from levee.lib.admin import ModelAdmin, RecordAdmin, TabularInline


class TariffPlanInline(TabularInline):
    model = TariffPlan
    extra = 0


@admin.register(Tariff)
class TariffAdmin(ModelAdmin):
    delete_selected_description = "Supprimer les grilles tarifaires sélectionnées"
    list_display = ["authority", "year", "version", "vat_rate_bp", "created_at"]
    list_filter = ["authority", "year"]
    inlines = [TariffPlanInline]


@admin.register(BillingRun)
class BillingRunAdmin(ModelAdmin):
    delete_selected_description = "Supprimer les facturations sélectionnées"
    list_display = ["authority", "kind", "label", "status", "invoices_done", "created_at"]
    list_filter = ["authority", "kind", "status"]


class InvoiceLineInline(TabularInline):
    model = InvoiceLine
    extra = 0

    # The lines of an issued (numbered) invoice are as fixed as the invoice (`obj` is it).
    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not (obj and obj.number)

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and not (obj and obj.number)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not (obj and obj.number)


@admin.register(Invoice)
class InvoiceAdmin(ModelAdmin):
    delete_selected_description = "Supprimer les factures sélectionnées"
    list_display = ["number", "authority", "account", "issued_on", "total_cents", "status"]
    list_filter = ["authority", "status", "year"]
    search_fields = ["number", "account__code", "payer_name"]
    raw_id_fields = ["account", "subscription", "run", "tariff"]
    inlines = [InvoiceLineInline]

    # A numbered invoice is issued: its number is taken without gaps and it may already be
    # with the public accountant. It is corrected by a credit note, never edited or deleted
    # here (an invoice « à blanc » has no number and may be).
    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not (obj and obj.number)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not (obj and obj.number)


@admin.register(InvoiceSequence)
class InvoiceSequenceAdmin(ModelAdmin):
    delete_selected_description = "Supprimer les numérotations des factures sélectionnées"


admin.site.register(BillingSettings, ModelAdmin)


@admin.register(UsageAlert)
class UsageAlertAdmin(ModelAdmin):
    delete_selected_description = "Supprimer les alertes de consommation sélectionnées"
    list_display = ["subscription", "year", "lifts", "included_lifts", "sent_at", "emailed"]
    list_filter = ["authority", "year", "emailed"]
    search_fields = ["subscription__reference", "subscription__account__code"]
    raw_id_fields = ["subscription"]


@admin.register(UsageAlertOptOut)
class UsageAlertOptOutAdmin(ModelAdmin):
    list_display = ["account", "created_at"]
    list_filter = ["authority"]
    search_fields = ["account__code"]
    raw_id_fields = ["account"]


@admin.register(InvoiceReminder)
class InvoiceReminderAdmin(ModelAdmin):
    list_display = ["invoice", "kind", "sent_at", "emailed", "authority"]
    list_filter = ["authority", "kind", "emailed"]
    raw_id_fields = ["invoice"]


@admin.register(CreditNote)
class CreditNoteAdmin(RecordAdmin):
    """Avoirs are issued from the invoice's back-office page, numbered without gaps and
    audited: the operator only reads them."""

    list_display = ["number", "authority", "invoice", "kind", "reason", "total_cents", "issued_on"]
    list_filter = ["authority", "kind", "reason"]
    search_fields = ["number", "invoice__number"]
