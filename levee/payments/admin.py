from django import forms
from django.contrib import admin
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException

from levee.lib.admin import ModelAdmin, RecordAdmin
from levee.payments.models import (
    CollectionImport,
    DebitFile,
    DebitRejectImport,
    GatewayName,
    Mandate,
    Payment,
    PaymentReceipt,
    PaymentSettings,
    SandboxTransaction,
    ScheduledDebit,
)


class PaymentSettingsForm(forms.ModelForm):
    class Meta:
        model = PaymentSettings
        fields = [
            "authority",
            "gateway",
            "payfip_numcli",
            "payfip_saisie",
            "creditor_identifier",
            "creditor_iban",
            "creditor_bic",
        ]
        help_texts = {
            "gateway": "Le bac à sable marque les factures réglées sans aucun paiement réel : "
            "à réserver à la démonstration. En production, choisissez PayFiP.",
            "payfip_numcli": "Les 6 chiffres fournis par la DGFiP à l'adhésion à PayFiP.",
            "payfip_saisie": "T pour les essais avec PayFiP, W pour les paiements réels.",
            "creditor_iban": "Le compte de la régie crédité par ses fichiers de prélèvements "
            "(pain.008). Inutile en mode PES : le comptable public prélève.",
        }

    def clean_creditor_iban(self):
        value = "".join(self.cleaned_data.get("creditor_iban", "").split()).upper()
        if value:
            try:
                IBAN(value)
            except SchwiftyException:
                raise forms.ValidationError("Cet IBAN n'est pas valide (vérifiez sa clé).")
        return value

    def clean_creditor_bic(self):
        value = self.cleaned_data.get("creditor_bic", "").strip().upper()
        if value:
            try:
                BIC(value)
            except SchwiftyException:
                raise forms.ValidationError("Ce BIC n'est pas valide (8 ou 11 caractères).")
        return value

    def clean(self):
        cleaned = super().clean()
        numcli = cleaned.get("payfip_numcli", "")
        if cleaned.get("gateway") == GatewayName.PAYFIP and not (
            len(numcli) == 6 and numcli.isdigit()
        ):
            self.add_error(
                "payfip_numcli", "PayFiP demande le numéro client de 6 chiffres de la DGFiP."
            )
        return cleaned


@admin.register(PaymentSettings)
class PaymentSettingsAdmin(ModelAdmin):
    form = PaymentSettingsForm
    list_display = ["authority", "gateway", "payfip_numcli", "payfip_saisie"]


@admin.register(Payment)
class PaymentAdmin(ModelAdmin):
    list_display = ["invoice", "authority", "gateway", "status", "amount_cents", "created_at"]
    list_filter = ["authority", "gateway", "status"]
    raw_id_fields = ["invoice", "account"]


@admin.register(SandboxTransaction)
class SandboxTransactionAdmin(ModelAdmin):
    delete_selected_description = "Supprimer les opérations du bac à sable sélectionnées"
    list_display = ["idop", "authority", "refdet", "amount_cents", "result", "created_at"]
    list_filter = ["authority", "result"]


@admin.register(Mandate)
class MandateAdmin(ModelAdmin):
    """The IBAN shows masked, like everywhere else, and is not changed here: a new mandate
    replaces it."""

    list_display = ["rum", "authority", "account", "schedule", "status", "signed_on"]
    raw_id_fields = ["account", "request"]
    exclude = ["iban"]
    readonly_fields = ["iban_shown"]

    @admin.display(description="IBAN")
    def iban_shown(self, mandate):
        return mandate.iban_masked


admin.site.register(ScheduledDebit, ModelAdmin)


@admin.register(PaymentReceipt)
class PaymentReceiptAdmin(ModelAdmin):
    list_display = ["invoice", "amount_cents", "paid_on", "method", "sent_at"]
    list_filter = ["authority", "method"]
    search_fields = ["invoice__number"]
    raw_id_fields = ["payment", "debit", "invoice"]


@admin.register(DebitFile)
class DebitFileAdmin(RecordAdmin):
    list_display = ["name", "authority", "status", "up_to", "count", "total_cents", "generated_at"]
    list_filter = ["authority", "status"]
    search_fields = ["name", "message_id"]


@admin.register(DebitRejectImport)
class DebitRejectImportAdmin(RecordAdmin):
    list_display = ["filename", "authority", "lines", "applied", "created_at"]
    list_filter = ["authority"]


@admin.register(CollectionImport)
class CollectionImportAdmin(RecordAdmin):
    list_display = ["filename", "authority", "lines", "applied", "applied_cents", "created_at"]
    list_filter = ["authority"]
