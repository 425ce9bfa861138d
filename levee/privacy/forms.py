from django import forms

from levee.lib.forms import Form


class LoginDeleteForm(Form):
    """« Supprimer mon identifiant »: the password asked again."""

    password = forms.CharField(
        label="Mot de passe",
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text="Saisissez à nouveau votre mot de passe pour confirmer la suppression.",
    )
