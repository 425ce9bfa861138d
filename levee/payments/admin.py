from django.contrib import admin

from levee.payments.models import Mandate, Payment, PaymentSettings, ScheduledDebit


@admin.register(PaymentSettings)
class PaymentSettingsAdmin(admin.ModelAdmin):
    list_display = ["authority", "gateway", "payfip_numcli", "payfip_saisie"]


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = ["invoice", "authority", "gateway", "status", "amount_cents", "created_at"]
    list_filter = ["authority", "gateway", "status"]
    raw_id_fields = ["invoice", "account"]


@admin.register(Mandate)
class MandateAdmin(admin.ModelAdmin):
    list_display = ["rum", "authority", "account", "schedule", "status", "signed_on"]
    raw_id_fields = ["account", "request"]


admin.site.register(ScheduledDebit)
