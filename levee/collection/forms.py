from django import forms

from levee.lib.forms import Form

from .models import Flux


class ProductionFilterForm(Form):
    """The year and flux filters of « Mes bacs/levées » (a GET form)."""

    annee = forms.TypedChoiceField(label="Année", coerce=int)
    flux = forms.ChoiceField(
        label="Flux", choices=[("", "Tous les flux"), *Flux.choices], required=False
    )

    def __init__(self, data, *, years: list[int], fluxes: list[str] | None = None):
        """`fluxes`: the flux offered (those of the household's bins), all when None."""
        super().__init__(data)
        self.fields["annee"].choices = [(y, str(y)) for y in years]
        if fluxes is not None:
            offered = [(code, label) for code, label in Flux.choices if code in fluxes]
            self.fields["flux"].choices = [("", "Tous les flux"), *offered]
        self.fields["annee"].error_messages["invalid_choice"] = (
            "Choisissez une année de la liste : %(value)s n'en fait pas partie."
        )
        self.fields["flux"].error_messages["invalid_choice"] = "Choisissez un flux de la liste."
