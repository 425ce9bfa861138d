from django import forms

from levee.agents.roles import ROLE_DESCRIPTIONS, AgentRole
from levee.lib.forms import Form

ROLE_REQUIRED = "Choisissez le rôle de l'agent."


def role_field(**kwargs) -> forms.ChoiceField:
    return forms.ChoiceField(
        label="Rôle",
        choices=AgentRole.choices,
        error_messages={"required": ROLE_REQUIRED, "invalid_choice": ROLE_REQUIRED},
        **kwargs,
    )


class AgentAddForm(Form):
    email = forms.EmailField(
        label="Adresse email",
        max_length=254,
        help_text="Ses identifiants s'il en a déjà sur Levée ; sinon il reçoit un lien pour "
        "choisir son mot de passe.",
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
        error_messages={
            "required": "Indiquez l'adresse email de l'agent.",
            "invalid": "Indiquez une adresse email valide, par exemple prenom.nom@exemple.fr.",
        },
    )
    first_name = forms.CharField(label="Prénom", max_length=100, required=False)
    last_name = forms.CharField(label="Nom", max_length=100, required=False)
    role = role_field(widget=forms.RadioSelect)

    descriptions = ROLE_DESCRIPTIONS

    def clean_email(self):
        return self.cleaned_data["email"].strip()

    def clean_first_name(self):
        return " ".join(self.cleaned_data["first_name"].split())

    def clean_last_name(self):
        return " ".join(self.cleaned_data["last_name"].split())


class AgentRoleForm(Form):
    role = role_field()
