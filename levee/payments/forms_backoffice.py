"""Forms of « Prélèvements » (back office): the date of the debits a file gathers, and the
bank's rejects file (`levee/payments/DEBIT_FILES.md`)."""

from django import forms

from levee.lib.forms import Form

from .debit_files import REJECTS_MAX_BYTES


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
