import datetime

from django import forms
from django.utils import timezone

from levee.lib.forms import Form


class TokenCreateForm(Form):
    name = forms.CharField(
        label="Nom du jeton",
        max_length=80,
        help_text="Pour le reconnaître dans la liste, par exemple « Domotique du salon ».",
        error_messages={
            "required": "Donnez un nom à ce jeton.",
            "max_length": "Le nom compte au plus 80 caractères.",
        },
    )
    expires_on = forms.DateField(
        label="Date d'expiration (facultative)",
        required=False,
        help_text="Le dernier jour où le jeton fonctionne (inclus). Laissez vide pour un "
        "jeton sans expiration, que vous révoquerez quand vous n'en aurez plus besoin.",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "Saisissez une date valide (jj/mm/aaaa)."},
    )

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Donnez un nom à ce jeton.")
        return name

    def clean_expires_on(self):
        day = self.cleaned_data.get("expires_on")
        if day is not None and day <= timezone.localdate():
            raise forms.ValidationError("Choisissez une date à venir (demain au plus tôt).")
        return day

    def expires_at(self) -> datetime.datetime | None:
        """The end of the chosen day, in Paris time."""
        day = self.cleaned_data.get("expires_on")
        if day is None:
            return None
        return timezone.make_aware(
            datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min)
        )
