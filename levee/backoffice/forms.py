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


class AuditFilterForm(Form):
    """The filters of « Journal des actions »; a value that is not valid is ignored, and said."""

    agent = forms.ChoiceField(label="Agent", required=False)
    compte = forms.CharField(
        label="Compte usager", required=False, max_length=40, help_text="Son code usager."
    )
    type = forms.ChoiceField(label="Type d'action", required=False)
    du = forms.DateField(
        label="Du",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    au = forms.DateField(
        label="Au",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, data, *, actors, kinds):
        super().__init__(data)
        self.fields["agent"].choices = [
            ("", "Tous"),
            *[(str(u.pk), _person(u)) for u in actors],
        ]
        self.fields["type"].choices = [("", "Tous"), *kinds]

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("du"), cleaned.get("au")
        if start and end and start > end:
            self.add_error("au", "La date de fin précède la date de début.")
        return cleaned

    def filters(self) -> dict:
        """The valid filters, by name; an invalid one is left out."""
        self.is_valid()
        return {
            name: self.cleaned_data.get(name)
            for name in ("agent", "compte", "type", "du", "au")
            if name not in self.errors and self.cleaned_data.get(name)
        }


def _person(user) -> str:
    name = " ".join(p for p in (user.first_name, user.last_name) if p)
    return f"{name} ({user.email})" if name else user.email
