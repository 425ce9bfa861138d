from django import forms

from levee.lib.forms import Form


class AgentLoginForm(Form):
    email = forms.CharField(
        label="Adresse email",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "username"}),
    )
    password = forms.CharField(
        label="Mot de passe",
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class AcceptForm(Form):
    NEW = "new"
    account = forms.CharField(
        label="Compte usager",
        max_length=40,
        help_text="Le compte existant auquel rattacher la demande, ou un nouveau compte.",
    )

    def __init__(self, *args, candidates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.candidates = {str(a.pk): a for a in candidates}

    def clean_account(self):
        value = self.cleaned_data["account"]
        if value == self.NEW:
            return None
        if value not in self.candidates:
            raise forms.ValidationError(
                "Choisissez un compte dans la liste, ou « Créer un nouveau compte »."
            )
        return self.candidates[value]


class RefuseForm(Form):
    reason = forms.CharField(
        label="Motif du refus",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Il est envoyé tel quel à la personne.",
        error_messages={"required": "Indiquez le motif du refus : il est envoyé à la personne."},
    )

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("Indiquez le motif du refus : il est envoyé à la personne.")
        return reason
