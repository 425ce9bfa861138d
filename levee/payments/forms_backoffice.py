"""Forms of the payments' back office: the date of the debits a file gathers and the bank's
rejects file (`levee/payments/DEBIT_FILES.md`), a payment recorded on an invoice and the
accountant's collections file (`levee/payments/COLLECTIONS.md`)."""

from django import forms
from django.utils import timezone

from levee.billing.forms import EurosField
from levee.lib.forms import Form

from .collection_files import MAX_BYTES as COLLECTIONS_MAX_BYTES
from .debit_files import REJECTS_MAX_BYTES
from .models import RECORDED_METHODS, REFERENCE_REQUIRED


class DebitFileGenerateForm(Form):
    up_to = forms.DateField(
        label="Prélèvements dus jusqu'au",
        help_text="Le fichier porte tous les prélèvements prévus jusqu'à cette date incluse, "
        "par exemple la fin du mois prochain.",
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "required": "Choisissez la date jusqu'à laquelle les prélèvements sont dus.",
            "invalid": "Saisissez une date valide, par exemple 31/01/2027.",
        },
    )


class DebitRejectsForm(Form):
    file = forms.FileField(
        label="Fichier des rejets de la banque (CSV)",
        help_text="Colonnes reference;date;montant;motif, en UTF-8, 2 Mo au plus : voir le "
        "format ci-dessous.",
        error_messages={
            "required": "Choisissez le fichier des rejets à importer.",
            "empty": "Le fichier envoyé est vide.",
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs.update({"accept": ".csv,text/csv"})

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > REJECTS_MAX_BYTES:
            raise forms.ValidationError(
                "Ce fichier dépasse 2 Mo : découpez-le en plusieurs fichiers."
            )
        return upload


class PaymentRecordForm(Form):
    """« Enregistrer un règlement » on an invoice's page: a payment received otherwise than
    online (`recorded.py` checks again, under the invoice's lock)."""

    method = forms.ChoiceField(
        label="Mode de règlement",
        choices=[("", "Choisir le mode")] + [(m.value, m.label) for m in RECORDED_METHODS],
        error_messages={
            "required": "Choisissez le mode de règlement.",
            "invalid_choice": "Choisissez le mode de règlement dans la liste.",
        },
    )
    paid_on = forms.DateField(
        label="Date du règlement",
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "required": "Indiquez la date du règlement.",
            "invalid": "Saisissez une date valide, par exemple 15/01/2027.",
        },
    )
    reference = forms.CharField(
        label="Référence",
        required=False,
        max_length=64,
        help_text="Numéro du chèque ou référence du virement (obligatoire pour ces deux "
        "modes) ; facultative sinon.",
        error_messages={"max_length": "La référence tient en 64 caractères au plus."},
    )
    amount = EurosField(
        label="Montant (€)",
        example="87,94",
        error_messages={"required": "Indiquez le montant du règlement."},
    )

    def __init__(self, *args, today=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today or timezone.localdate()
        self.fields["paid_on"].widget.attrs["max"] = self.today.isoformat()

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if amount is not None and amount <= 0:
            raise forms.ValidationError("Le montant doit être supérieur à 0,00 €.")
        return amount

    def clean_paid_on(self):
        paid_on = self.cleaned_data["paid_on"]
        if paid_on > self.today:
            raise forms.ValidationError(
                f"La date du règlement ne peut pas être dans le futur (nous sommes le "
                f"{self.today:%d/%m/%Y})."
            )
        return paid_on

    def clean(self):
        cleaned = super().clean()
        reference = (cleaned.get("reference") or "").strip()
        cleaned["reference"] = reference
        if cleaned.get("method") in REFERENCE_REQUIRED and not reference:
            self.add_error(
                "reference",
                "Indiquez la référence du règlement (numéro du chèque, référence du virement).",
            )
        return cleaned


class CollectionFileForm(Form):
    file = forms.FileField(
        label="Fichier des encaissements du comptable (CSV)",
        help_text="Colonnes facture;date;montant;mode;reference, en UTF-8, 2 Mo au plus : voir "
        "le format ci-dessous.",
        error_messages={
            "required": "Choisissez le fichier des encaissements à importer.",
            "empty": "Le fichier envoyé est vide.",
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs.update({"accept": ".csv,text/csv"})

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > COLLECTIONS_MAX_BYTES:
            raise forms.ValidationError(
                "Ce fichier dépasse 2 Mo : découpez-le en plusieurs fichiers."
            )
        return upload
