"""Forms of « Comptabilité publique » (back office): the settings and the life of a PES
file (« Marquer comme rejeté », the accountant's acknowledgement)."""

import re

from django import forms

from levee.billing.models import LineKind
from levee.lib.forms import Form, ModelForm

from .models import PIECES_PER_FILE_MAX, PublicAccountingSettings
from .services import NATURE_LENGTH, PRODUCT_CODE_LENGTH

ACK_MAX_BYTES = 5 * 1024 * 1024


def _nature_name(kind) -> str:
    return f"nature_{kind.value}"


def _product_name(kind) -> str:
    return f"product_{kind.value}"


class PublicAccountingSettingsForm(ModelForm):
    """The settings, the nature and product code of each kind of line as two fields each."""

    class Meta:
        model = PublicAccountingSettings
        fields = [
            "collection_mode",
            "siret",
            "poste_code",
            "collectivity_code",
            "budget_code",
            "budget_label",
            "role_object",
            "pieces_per_file",
            "attach_pdfs",
            "dgfip_prints_notices",
        ]
        widgets = {"collection_mode": forms.RadioSelect}
        labels = {
            "collection_mode": "Recouvrement des factures",
            "siret": "SIRET de la collectivité (IdColl)",
            "poste_code": "Poste comptable (IdPost)",
            "collectivity_code": "Code collectivité (CodCol)",
            "budget_code": "Code budget (CodBud)",
            "budget_label": "Libellé du budget (LibelleColBud)",
            "role_object": "Objet du rôle",
            "pieces_per_file": "Factures par fichier",
            "attach_pdfs": "Joindre le PDF de chaque facture à son titre (PES PJ)",
            "dgfip_prints_notices": (
                "La DGFiP édite et envoie les avis des sommes à payer (sinon la collectivité "
                "les a déjà envoyés)"
            ),
        }
        help_texts = {
            "siret": "14 chiffres, espaces permis : 200 040 947 00190.",
            "poste_code": "Le codique à 6 ou 7 chiffres du poste comptable (Hélios).",
            "collectivity_code": "1 à 3 lettres ou chiffres, donnés par le poste comptable.",
            "budget_code": "Au plus 2 lettres ou chiffres (facultatif).",
            "pieces_per_file": f"Un bordereau par fichier ; {PIECES_PER_FILE_MAX} au plus.",
        }
        error_messages = {
            "pieces_per_file": {
                "required": "Indiquez le nombre de factures par fichier.",
                "invalid": "Saisissez un nombre entier, sans virgule.",
                "min_value": "Un fichier compte au moins 1 facture.",
                "max_value": f"Un fichier compte au plus {PIECES_PER_FILE_MAX} factures.",
            },
            "collection_mode": {"required": "Choisissez le mode de recouvrement."},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Spaces are allowed as one writes a SIRET (« 200 040 947 00190 »): the model's
        # 14 characters are checked once they are taken out.
        self.fields["siret"] = forms.CharField(
            label=self._meta.labels["siret"],
            help_text=self._meta.help_texts["siret"],
            required=False,
            max_length=20,
            error_messages={"max_length": "Le SIRET compte 14 chiffres."},
        )
        self.kinds = []
        for kind in LineKind:
            nature, product = self.instance.codes_of(kind.value) if self.instance.pk else ("", "")
            self.fields[_nature_name(kind)] = forms.CharField(
                label=f"Nature (compte) des lignes « {kind.label} »",
                required=False,
                max_length=NATURE_LENGTH,
                initial=nature,
                error_messages={
                    "max_length": f"La nature compte au plus {NATURE_LENGTH} chiffres."
                },
            )
            self.fields[_product_name(kind)] = forms.CharField(
                label=f"Code produit des lignes « {kind.label} »",
                required=False,
                max_length=PRODUCT_CODE_LENGTH,
                initial=product,
                error_messages={
                    "max_length": f"Le code produit compte au plus {PRODUCT_CODE_LENGTH} caractères."
                },
            )
            self.kinds.append((kind, self[_nature_name(kind)], self[_product_name(kind)]))
        self.fields["role_object"].help_text = (
            "Par exemple : REDEVANCE INCITATIVE DECHETS MENAGERS. La période de la facturation "
            "y est ajoutée."
        )

    def clean_siret(self):
        return re.sub(r"[\s.]", "", self.cleaned_data.get("siret") or "")

    def clean_poste_code(self):
        return (self.cleaned_data.get("poste_code") or "").strip().upper()

    def clean_collectivity_code(self):
        return (self.cleaned_data.get("collectivity_code") or "").strip().upper()

    def clean_budget_code(self):
        return (self.cleaned_data.get("budget_code") or "").strip().upper()

    def clean(self):
        cleaned = super().clean()
        codes = {}
        for kind in LineKind:
            nature = (cleaned.get(_nature_name(kind)) or "").strip()
            product = (cleaned.get(_product_name(kind)) or "").strip().upper()
            if nature and not (nature.isdigit() and int(nature) > 0):
                self.add_error(
                    _nature_name(kind),
                    "La nature est un numéro de compte : des chiffres seulement.",
                )
            if product and not (product.isascii() and product.isalnum()):
                self.add_error(
                    _product_name(kind),
                    "Le code produit ne compte que des lettres sans accent et des chiffres.",
                )
            if nature or product:
                codes[kind.value] = {"nature": nature, "product": product}
        cleaned["line_codes"] = codes
        return cleaned

    def values(self) -> dict:
        """What the service saves (`services.SETTINGS_FIELDS`)."""
        data = self.cleaned_data
        return {name: data[name] for name in self.Meta.fields} | {"line_codes": data["line_codes"]}


class PesRejectForm(Form):
    reason = forms.CharField(
        label="Motif du rejet",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Tel que le comptable public l'a donné.",
        error_messages={
            "required": "Indiquez le motif du rejet donné par le comptable public.",
            "max_length": "Le motif compte au plus 2000 caractères.",
        },
    )

    def clean_reason(self):
        reason = " ".join((self.cleaned_data.get("reason") or "").split())
        if not reason:
            raise forms.ValidationError("Indiquez le motif du rejet donné par le comptable public.")
        return reason


class PesAcknowledgementForm(Form):
    file = forms.FileField(
        label="Accusé de réception du comptable (PES_ACQUIT, XML)",
        help_text="Le fichier XML reçu d'Hélios, 5 Mo au plus.",
        error_messages={
            "required": "Choisissez le fichier d'accusé de réception à importer.",
            "empty": "Le fichier envoyé est vide.",
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs.update({"accept": ".xml,text/xml,application/xml"})

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > ACK_MAX_BYTES:
            raise forms.ValidationError(
                "Ce fichier dépasse 5 Mo : ce n'est pas un accusé de réception PES."
            )
        return upload
