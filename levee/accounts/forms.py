from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import PasswordChangeForm, PasswordResetForm, SetPasswordForm

from levee.lib import captcha
from levee.lib.forms import AccessibleFormMixin, Form
from levee.lib.uploads import check_proof

from .models import LegalForm, User


class PasswordPairMixin:
    """« Mot de passe » and its confirmation, checked by the platform's password rules."""

    password_field = "password"
    confirm_field = "password_confirm"

    def password_owner(self, cleaned: dict) -> User:
        """An unsaved login holding what the form says of its owner, so that a password
        too close to the email or the name is refused."""
        return User(email=cleaned.get("email", ""))

    def clean(self):
        cleaned = super().clean()
        password = cleaned.get(self.password_field)
        confirm = cleaned.get(self.confirm_field)
        if password and confirm and password != confirm:
            self.add_error(self.confirm_field, "Les deux mots de passe ne sont pas identiques.")
        if password:
            try:
                password_validation.validate_password(password, self.password_owner(cleaned))
            except forms.ValidationError as error:
                self.add_error(self.password_field, error)
        return cleaned


def password_field(label: str, *, help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=help_text,
    )


PASSWORD_RULE = (
    "Au moins 8 caractères, avec au moins une minuscule, une majuscule, un chiffre et un "
    "caractère spécial (@$!%*?&amp;=#)."
)


class SignupForm(PasswordPairMixin, Form):
    """« Je crée mon espace » (seed 004): Mes identifiants, then Mes références."""

    email = forms.EmailField(
        label="Email", max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    password = password_field("Mot de passe", help_text=PASSWORD_RULE)
    password_confirm = password_field("Confirmation mot de passe")
    name = forms.CharField(
        label="Nom / Raison sociale",
        max_length=200,
        help_text="Identique à la facture : le nom du titulaire, ou la raison sociale.",
    )
    portal_key = forms.CharField(
        label="Référence usager",
        max_length=40,
        help_text="Votre identifiant portail, au recto de votre facture.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )

    def password_owner(self, cleaned: dict) -> User:
        return User(email=cleaned.get("email", ""), last_name=cleaned.get("name", ""))


class LoginForm(Form):
    email = forms.CharField(
        label="Identifiant (adresse mail)",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "username"}),
    )
    password = forms.CharField(
        label="Mot de passe",
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    remember = forms.BooleanField(label="Rester connecté", required=False)


SUFFIXES = [
    ("", "—"),
    ("B", "B"),
    ("bis", "bis"),
    ("ter", "ter"),
    ("quater", "quater"),
    ("A", "A"),
    ("C", "C"),
]
CIVILITIES = [("", "-- Sélectionner --"), ("M", "M"), ("Mme", "Mme")]
PHONE_RE = r"^\+?[0-9 .\-]{10,20}$"


class OpeningRequestForm(PasswordPairMixin, Form):
    """« Demande d'ouverture de mon compte » (seed 000)."""

    legal_form = forms.ChoiceField(
        label="Nature juridique", choices=LegalForm.choices, initial=LegalForm.PARTICULIER
    )
    civility = forms.ChoiceField(label="Civilité", choices=CIVILITIES)
    last_name = forms.CharField(
        label="Nom", max_length=100, widget=forms.TextInput(attrs={"autocomplete": "family-name"})
    )
    first_name = forms.CharField(
        label="Prénom",
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    phone = forms.RegexField(
        label="Téléphone",
        regex=PHONE_RE,
        required=False,
        error_messages={
            "invalid": "Indiquez un numéro de téléphone à 10 chiffres, par exemple 04 77 00 00 00."
        },
        widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
    )
    mobile = forms.RegexField(
        label="Mobile",
        regex=PHONE_RE,
        required=False,
        error_messages={
            "invalid": "Indiquez un numéro de mobile à 10 chiffres, par exemple 06 00 00 00 00."
        },
        widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
    )
    street = forms.CharField(
        label="Nom de voie",
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "address-line1"}),
    )
    number = forms.RegexField(
        label="Numéro de voie",
        regex=r"^\d{1,5}$",
        required=False,
        error_messages={"invalid": "Le numéro de voie ne contient que des chiffres."},
    )
    number_suffix = forms.ChoiceField(
        label="Suffixe (B, bis, ter…)", choices=SUFFIXES, required=False
    )
    complement = forms.CharField(label="Complément d'adresse", max_length=200, required=False)
    email = forms.EmailField(
        label="Email", max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    password = password_field("Mot de passe", help_text=PASSWORD_RULE)
    password_confirm = password_field("Confirmez le mot de passe")
    proof = forms.FileField(
        label="Justificatif de domicile",
        help_text="Facture d'énergie, d'eau ou de téléphone, quittance de loyer… : PDF, JPEG ou PNG, 5 Mo au plus.",
        widget=forms.ClearableFileInput(
            attrs={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"}
        ),
        error_messages={"required": "Joignez votre justificatif de domicile (PDF, JPEG ou PNG)."},
    )
    cgu = forms.BooleanField(
        label="J'accepte les conditions générales d'utilisation du service (CGU)",
        error_messages={
            "required": "Vous devez accepter les conditions générales d'utilisation pour continuer."
        },
    )
    altcha = forms.CharField(
        label="Je ne suis pas un robot",
        widget=forms.HiddenInput,
        required=False,
    )

    # What a page sent back with errors cannot keep: a password is never written back into a
    # page, a browser cannot be given a file to upload, and a solved challenge is used up.
    GIVE_AGAIN = (
        "Pour votre sécurité, saisissez à nouveau votre mot de passe et sa confirmation, "
        "joignez à nouveau votre justificatif et cochez à nouveau « Je ne suis pas un "
        "robot » : vos autres réponses sont conservées."
    )
    GIVE_AGAIN_ID = "opening-give-again"

    def full_clean(self):
        super().full_clean()
        if self.is_bound and self._errors:
            for name in ("password", "password_confirm", "proof"):
                attrs = self.fields[name].widget.attrs
                described = attrs.get("aria-describedby", "").split()
                if not described and self.fields[name].help_text:
                    described = [f"{self[name].auto_id}_helptext"]
                attrs["aria-describedby"] = " ".join([*described, self.GIVE_AGAIN_ID])

    def clean_proof(self):
        upload = self.cleaned_data.get("proof")
        checked = check_proof(upload)
        self.proof_content_type = checked.content_type
        return upload

    def clean_altcha(self):
        payload = self.cleaned_data.get("altcha", "")
        if not captcha.verify(payload):
            raise forms.ValidationError(
                "Cochez « Je ne suis pas un robot » et attendez la fin de la vérification."
            )
        return payload

    def clean_last_name(self):
        return " ".join(self.cleaned_data["last_name"].split())

    def password_owner(self, cleaned: dict) -> User:
        return User(
            email=cleaned.get("email", ""),
            first_name=cleaned.get("first_name", ""),
            last_name=cleaned.get("last_name", ""),
        )


class ResetRequestForm(AccessibleFormMixin, PasswordResetForm):
    email = forms.EmailField(
        label="Adresse email",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class ResetSetPasswordForm(AccessibleFormMixin, SetPasswordForm):
    pass


class ChangePasswordForm(AccessibleFormMixin, PasswordChangeForm):
    pass
