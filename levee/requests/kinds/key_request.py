"""« Vous ne connaissez pas votre clé d'activation ? » (flow 12): a logged-in person who
knows his commune, his name and his address, but not the key of his account, asks the
authority of that commune with an identity document. The request has no account: the agent
finds it, and « Accepter » mails its key to the login that asked — the key is never shown
on a screen, nor written in the request or the audit log."""

from django import forms
from django.db.models import Q

from levee.subscribers.models import Account

from ..forms import (
    MESSAGE_MAX_LENGTH,
    AcceptForm,
    RequestForm,
    proof_check,
    proof_field,
    text_clean,
)
from .base import Applied, ApplyRefused, Group, RequestType
from .common import PROOF_HELP, SUFFIXES, number_field, street_values, text_field, texts_collapsed


class KeyRequestForm(RequestForm):
    compare_with_current = False
    identity_content_type = ""

    last_name = text_field(
        "Nom / Raison sociale", max_length=200, required=True, autocomplete="family-name"
    )
    first_name = text_field("Prénom", max_length=100, autocomplete="given-name")
    number = number_field()
    number_suffix = forms.ChoiceField(label="Ext.", choices=SUFFIXES, required=False)
    street = text_field("Rue", max_length=200, required=True, autocomplete="address-line1")
    complement = text_field("Complément d'adresse", max_length=200)
    identity = proof_field(
        "Pièce d'identité",
        required_message="Joignez votre pièce d'identité.",
        help_text=f"Carte d'identité, passeport ou titre de séjour du titulaire : {PROOF_HELP}",
    )
    message = forms.CharField(
        label="Précisions (facultatives)",
        max_length=MESSAGE_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, commune, postal_code: str, **kwargs):
        self.commune, self.postal_code = commune, postal_code
        super().__init__(*args, current={}, **kwargs)

    def initial_from(self, current: dict) -> dict:
        return {}

    def clean_identity(self):
        upload = self.cleaned_data.get("identity")
        self.identity_content_type = proof_check(upload)
        return upload

    def clean_message(self):
        return text_clean(self.cleaned_data.get("message", ""))

    def clean(self):
        cleaned = super().clean()
        texts_collapsed(
            self,
            cleaned,
            ("last_name", "first_name", "street", "complement"),
            required=("last_name", "street"),
        )
        return cleaned

    def values(self) -> dict:
        data = self.cleaned_data
        return {
            "last_name": data["last_name"],
            "first_name": data["first_name"],
            **street_values(data, postal_code=self.postal_code, city=self.commune.name),
            "message": data["message"],
        }


class KeyAcceptForm(AcceptForm):
    account_code = forms.CharField(
        label="Code usager du compte trouvé",
        max_length=20,
        help_text="Sa clé d'activation est envoyée par email à l'usager, jamais affichée.",
        error_messages={"required": "Indiquez le code usager du compte de l'usager."},
    )

    def clean_account_code(self):
        code = self.cleaned_data["account_code"].strip()
        exists = Account.objects.filter(
            authority_id=self.service_request.authority_id, code=code
        ).exists()
        if not exists:
            raise forms.ValidationError(
                f"Aucun compte de la collectivité n'a le code usager « {code} »."
            )
        return code


class KeyRequest(RequestType):
    key = "key_request"
    slug = "cle-d-activation"
    title = "Vous ne connaissez pas votre clé d'activation ?"
    heading = "Vous ne connaissez pas votre clé d'activation ?"
    intro = (
        "La clé d'activation (ou identifiant portail) figure sur vos factures. Si vous ne l'avez "
        "pas, demandez-la ici : la collectivité vous l'enverra par email après avoir vérifié "
        "votre identité."
    )
    tracking_label = "Demande de clé d'activation"
    group = Group.ACCOUNT
    listed = False
    in_space = False  # asked from « Associer un autre compte », for an account not yet held
    template = "requests/key_request.html"
    form_class = KeyRequestForm
    labels = {}
    changes_values = False
    accept_form_class = KeyAcceptForm
    agent_template = "requests/backoffice/_key_request.html"
    accept_help = (
        "La clé d'activation du compte indiqué est envoyée par email à l'usager (elle n'est "
        "affichée nulle part) ; il pourra alors associer ce compte à son espace."
    )

    def current(self, *, account, user, subject=None) -> dict:
        return {}

    def details(self, service_request) -> list[tuple[str, str]]:
        requested = service_request.requested
        rows = [
            ("Nom / Raison sociale", requested.get("last_name", "")),
            ("Prénom", requested.get("first_name", "")),
            ("Adresse", requested.get("address", "")),
        ]
        if requested.get("message"):
            rows.append(("Précisions", requested["message"]))
        return rows

    def opening_message(self, form) -> tuple[str, list]:
        return "Pièce d'identité jointe à la demande.", [
            (form.cleaned_data["identity"], form.identity_content_type)
        ]

    def agent_extra(self, service_request) -> dict:
        """Accounts that may be the person's: the name typed, or the address in the commune."""
        requested = service_request.requested
        name = requested.get("last_name", "")
        at_address = Q(
            subscriptions__commune_id=service_request.commune_id,
            subscriptions__street__iexact=requested.get("street", ""),
        )
        if requested.get("number"):
            at_address &= Q(subscriptions__number=requested["number"])
        candidates = (
            Account.objects.filter(authority_id=service_request.authority_id)
            .filter(Q(last_name__iexact=name) | Q(company_name__iexact=name) | at_address)
            .distinct()
            .order_by("code")[:20]
        )
        return {"candidates": list(candidates)}

    def accepted_sentence(self, service_request) -> str:
        return "nous vous envoyons ci-dessous la clé d'activation de votre compte"

    def apply(self, *, service_request, account, agent_user, decision: dict) -> Applied:
        found = Account.objects.filter(
            authority_id=service_request.authority_id, code=decision.get("account_code", "")
        ).first()
        if found is None:
            raise ApplyRefused("Indiquez le code usager d'un compte de la collectivité.")
        to = service_request.requested_by.email if service_request.requested_by else ""
        if not to:
            raise ApplyRefused(
                "L'identifiant qui a fait la demande n'existe plus : la clé ne peut être envoyée."
            )
        return Applied(
            after={"account": found.code, "key_sent_to": to},
            note=f"Clé d'activation du compte {found.code} envoyée par email.",
            outcome={"account_code": found.code},
            email_lines=[
                f"Clé d'activation du compte {found.code} : {found.portal_key}",
                "Pour associer ce compte à votre espace : « Mon profil », « Associer un autre "
                "compte », puis saisissez cette clé à l'étape 2.",
            ],
        )
