from django import forms
from django.contrib import admin, messages

from levee.lib.admin import ModelAdmin, TabularInline
from levee.lib.text import plural_fr

from .models import Authority, AuthorityCommune, Commune, Epci
from .services import authority_attach_epci


class AuthorityCommuneInline(TabularInline):
    model = AuthorityCommune
    autocomplete_fields = ["commune"]
    extra = 1


class AuthorityAdminForm(forms.ModelForm):
    website = forms.URLField(label="Site internet", required=False, assume_scheme="https")
    attach_epci = forms.CharField(
        label="Rattacher les communes d'un EPCI (SIREN)",
        required=False,
        max_length=9,
        help_text="Ajoute toutes les communes membres de cet EPCI qui ne sont desservies par personne.",
    )

    class Meta:
        model = Authority
        fields = "__all__"  # noqa: DJ007 - the admin's fieldsets choose what is shown

    def clean_host(self):
        return self.cleaned_data["host"].strip().lower().rstrip(".")

    def clean_attach_epci(self):
        siren = self.cleaned_data["attach_epci"].strip()
        if siren and not Epci.objects.filter(siren=siren).exists():
            raise forms.ValidationError("Aucun EPCI ne porte ce SIREN.")
        return siren


@admin.register(Authority)
class AuthorityAdmin(ModelAdmin):
    delete_selected_description = "Supprimer les collectivités sélectionnées"
    form = AuthorityAdminForm
    list_display = ["name", "slug", "host", "code", "contact_email", "is_active"]
    search_fields = ["name", "slug", "code", "host"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [AuthorityCommuneInline]
    fieldsets = [
        (None, {"fields": ["name", "short_name", "slug", "code", "is_active"]}),
        ("Image", {"fields": ["logo", "primary_color"]}),
        ("Contact", {"fields": ["contact_email", "contact_phone", "address", "website"]}),
        ("Nom d'hôte", {"fields": ["host"]}),
        (
            "Mentions légales et paiement",
            {
                "fields": [
                    "siret",
                    "payment_recipient",
                    "payment_recipient_address",
                    "payment_recipient_phone",
                    "payment_recipient_hours",
                    "legal_notice",
                ]
            },
        ),
        ("Données personnelles et CGU", {"fields": ["dpo_contact", "personal_data", "cgu"]}),
        ("Création des espaces", {"fields": ["signup_with_references", "signup_with_proof"]}),
        ("Communes", {"fields": ["epci_siren", "attach_epci"]}),
    ]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        siren = form.cleaned_data.get("attach_epci")
        if siren:
            count = authority_attach_epci(authority=form.instance, siren=siren)
            messages.info(request, f"{plural_fr(count, 'commune rattachée')}.")


@admin.register(Commune)
class CommuneAdmin(ModelAdmin):
    delete_selected_description = "Supprimer les communes sélectionnées"
    list_display = ["name", "insee", "department", "epci_siren"]
    search_fields = ["name", "search_name", "insee", "postal_codes__postal_code"]
    list_filter = ["department"]
    readonly_fields = ["insee", "name", "department", "epci_siren", "population"]
    exclude = ["search_name"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Epci)
class EpciAdmin(ModelAdmin):
    list_display = ["name", "siren", "kind"]
    search_fields = ["name", "siren"]
