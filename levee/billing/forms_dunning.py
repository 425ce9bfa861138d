"""The filters of « Restes à recouvrer »: age band, minimum amount, commune. Each bad value
is a French message next to its field; the list then applies the other filters."""

from django import forms

from levee.lib.forms import Form

from .forms import EurosField
from .selectors_dunning import AGE_BANDS, BANDS_BY_SLUG, OutstandingFilters


class OutstandingFilterForm(Form):
    anciennete = forms.ChoiceField(
        label="Ancienneté du retard",
        required=False,
        choices=[("", "Toutes"), *((b.slug, b.label.capitalize()) for b in AGE_BANDS)],
        error_messages={"invalid_choice": "Choisissez une ancienneté de la liste."},
    )
    montant_min = EurosField(
        label="Montant minimum (€)",
        required=False,
        example="50,00",
        help_text="Facultatif : les factures d'au moins ce montant TTC.",
    )
    commune = forms.TypedChoiceField(
        label="Commune",
        required=False,
        coerce=int,
        empty_value=None,
        error_messages={"invalid_choice": "Choisissez une commune de la liste."},
    )

    def __init__(self, *args, communes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["commune"].choices = [
            ("", "Toutes"),
            *((c.pk, f"{c.name} ({c.insee})") for c in communes),
        ]

    def filters(self) -> OutstandingFilters:
        """The filters of the fields that are valid (all of them once `is_valid()`)."""
        data = getattr(self, "cleaned_data", {})
        band = data.get("anciennete")
        return OutstandingFilters(
            band=BANDS_BY_SLUG.get(band) if band else None,
            min_cents=data.get("montant_min"),
            commune_id=data.get("commune"),
        )
