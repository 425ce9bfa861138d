import re

from django import forms
from django.utils import timezone

from levee.lib.forms import Form
from levee.payments.gateways.sandbox import ACCEPTED_CARD, REFUSED_CARD

MONTHS = [("", "Mois")] + [(f"{m:02d}", f"{m:02d}") for m in range(1, 13)]


def year_choices():
    this_year = timezone.localdate().year
    return [("", "Année")] + [(str(y), str(y)) for y in range(this_year - 5, this_year + 11)]


class SandboxCardForm(Form):
    """The sandbox's card screen. Only the two test cards are known; the expiry date's
    format alone is checked (the seed pays with 01/2023)."""

    card_number = forms.CharField(
        label="Numéro de carte",
        max_length=30,
        help_text="Démonstration : 4000009999999999 est acceptée, 4000000000000002 refusée.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
        error_messages={"required": "Saisissez le numéro de carte."},
    )
    expiry_month = forms.ChoiceField(
        label="Mois", choices=MONTHS, error_messages={"required": "Choisissez le mois."}
    )
    expiry_year = forms.ChoiceField(
        label="Année", choices=year_choices, error_messages={"required": "Choisissez l'année."}
    )
    cvv = forms.CharField(
        label="Cryptogramme visuel",
        max_length=4,
        help_text="Les 3 chiffres au dos de la carte.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
        error_messages={"required": "Saisissez le cryptogramme visuel."},
    )

    def clean_card_number(self):
        number = re.sub(r"[\s-]", "", self.cleaned_data["card_number"])
        if number not in (ACCEPTED_CARD, REFUSED_CARD):
            raise forms.ValidationError(
                "Numéro de carte inconnu de l'environnement de démonstration : utilisez "
                f"{ACCEPTED_CARD} (paiement accepté) ou {REFUSED_CARD} (paiement refusé)."
            )
        return number

    def clean_cvv(self):
        cvv = self.cleaned_data["cvv"].strip()
        if not re.fullmatch(r"\d{3}", cvv):
            raise forms.ValidationError("Le cryptogramme visuel compte 3 chiffres.")
        return cvv
