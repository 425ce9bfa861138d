"""« J'emménage » (flow 13): a newcomer without an account (nor a login) asks for a
subscription at his new address in one of the authority's communes, with a proof. His
email is confirmed by a link before the agents see the request; on acceptance the account
and its subscription exist, and the person receives by email his code usager and his
identifiant portail, with the link that creates his space (seed 004)."""

import datetime

from django import forms
from django.utils import timezone

from levee.accounts.models import User
from levee.authorities.hosts import authority_absolute_url
from levee.billing.selectors import bac_plans_offered
from levee.integrations.services import webhook_event_record
from levee.lib import captcha
from levee.lib.text import fold
from levee.subscribers.models import Account, Category, Subscription
from levee.subscribers.selectors import subscription_current
from levee.subscribers.services import account_create

from ..forms import (
    RequestForm,
    commune_picker,
    commune_picker_required,
    proof_check,
    proof_field,
)
from ..models import ServiceRequest
from .base import Applied, Group, RequestType
from .common import (
    PROOF_HELP,
    SUFFIXES,
    date_field,
    date_fr,
    number_field,
    phone_clean,
    street_values,
    text_field,
    texts_collapsed,
)

CIVILITIES = [("", "-- Sélectionner --"), ("M", "M"), ("Mme", "Mme")]
# A move-in is announced a little ahead, or reported a little late: not years away.
MAX_DAYS = 365


COMMUNE_HELP = (
    "Saisissez le code postal ou le nom de la commune de votre nouveau logement, puis "
    "sélectionnez-la dans la liste proposée."
)


class MoveInForm(RequestForm):
    """The commune is asked with the platform's one commune picker (`picker`, kept to the
    authority's communes): « 59190 Hazebrouck », « hazebrouck » or « 59190 » give the commune,
    a code several communes share gives them as radio buttons, anything else the reason next
    to the field; the other answers are kept meanwhile."""

    compare_with_current = False
    proof_content_type = ""
    commune_help = COMMUNE_HELP

    # The picker's text (« q »): the picker reads it; its errors are this field's.
    q = forms.CharField(label="Commune", required=False)
    street = text_field("Rue", max_length=200, required=True, autocomplete="address-line1")
    number = number_field()
    number_suffix = forms.ChoiceField(label="Ext.", choices=SUFFIXES, required=False)
    complement = text_field("Complément d'adresse", max_length=200)
    moved_in_on = date_field(
        "Date d'emménagement", required_message="Indiquez la date d'emménagement."
    )
    # The « bac » plans of the authority's grid: the subscription is billed with it until a
    # bin is delivered (and after, unless an agent changes it).
    plan_volume_litres = forms.TypedChoiceField(
        label="Volume du bac",
        coerce=int,
        help_text="Le volume du bac d'ordures ménagères de votre forfait : la collectivité "
        "vous livre un bac de ce volume.",
        error_messages={
            "required": "Choisissez le volume du bac.",
            "invalid_choice": "Choisissez un volume de la liste.",
        },
    )
    civility = forms.ChoiceField(
        label="Civilité",
        choices=CIVILITIES,
        widget=forms.Select(attrs={"autocomplete": "honorific-prefix"}),
        error_messages={"required": "Choisissez votre civilité."},
    )
    last_name = text_field("Nom", max_length=100, required=True, autocomplete="family-name")
    first_name = text_field("Prénom", max_length=100, required=True, autocomplete="given-name")
    household_size = forms.IntegerField(
        label="Nombre de personnes du foyer",
        min_value=1,
        max_value=30,
        error_messages={"required": "Indiquez le nombre de personnes du foyer."},
    )
    email = forms.EmailField(
        label="Email",
        max_length=254,
        help_text="Un lien vous y sera envoyé pour confirmer votre demande.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    phone = text_field("Téléphone", max_length=25, required=True, autocomplete="tel", help_text="")
    proof = proof_field(
        "Justificatif de domicile",
        required_message="Joignez votre justificatif de domicile.",
        help_text="Bail, acte de vente, attestation du bailleur ou facture d'énergie à la "
        f"nouvelle adresse : {PROOF_HELP}",
    )
    altcha = forms.CharField(
        label="Je ne suis pas un robot", widget=forms.HiddenInput, required=False
    )

    def __init__(self, data=None, files=None, *, authority):
        self.authority = authority
        self.picker = commune_picker(data, authority=authority)
        self.chosen_commune = None
        self.chosen_postal_code = ""
        super().__init__(data, files, current={})
        self.fields["phone"].widget.attrs["type"] = "tel"
        self._plans_offer(authority)

    def initial_from(self, current: dict) -> dict:
        return {}

    def _plans_offer(self, authority) -> None:
        """« Volume du bac » from the authority's current « bac » plans (none: not asked)."""
        plans = bac_plans_offered(authority=authority, year=timezone.localdate().year)
        if not plans:
            del self.fields["plan_volume_litres"]
            return
        self.fields["plan_volume_litres"].choices = [
            ("", "-- Sélectionner --"),
            *((p.volume_litres, p.label) for p in plans),
        ]

    def clean_moved_in_on(self):
        on = self.cleaned_data["moved_in_on"]
        today = timezone.localdate()
        if abs((on - today).days) > MAX_DAYS:
            raise forms.ValidationError(
                "La date d'emménagement doit être à moins d'un an d'aujourd'hui."
            )
        return on

    def clean_phone(self):
        return phone_clean(self.cleaned_data["phone"])

    def clean_email(self):
        return User.objects.normalize_email(self.cleaned_data["email"].strip())

    def clean_proof(self):
        upload = self.cleaned_data.get("proof")
        self.proof_content_type = proof_check(upload)
        return upload

    def clean_altcha(self):
        if not captcha.verify(self.cleaned_data.get("altcha", "")):
            raise forms.ValidationError(
                "Cochez « Je ne suis pas un robot » et attendez la fin de la vérification."
            )
        return ""

    def clean_q(self):
        """The commune of the new dwelling, from the picker: one commune of the authority."""
        error = commune_picker_required(self.picker)
        if error:
            raise forms.ValidationError(error)
        choice = self.picker.choice
        commune = self.authority.communes.filter(insee=choice.insee).first()
        if commune is None:  # served by another authority since the list was offered
            message = self.picker.not_served_message(choice.label)
            self.picker.add_error("q", message)
            raise forms.ValidationError(message)
        self.chosen_commune, self.chosen_postal_code = commune, choice.postal_code
        return choice.label

    def clean(self):
        cleaned = super().clean()
        texts_collapsed(
            self,
            cleaned,
            ("street", "complement", "last_name", "first_name"),
            required=("street", "last_name", "first_name"),
        )
        return cleaned

    def values(self) -> dict:
        data = self.cleaned_data
        commune, postal_code = self.chosen_commune, self.chosen_postal_code
        return {
            "commune": commune.insee,
            "postal_code": postal_code,
            **street_values(data, postal_code=postal_code, city=commune.name),
            "moved_in_on": data["moved_in_on"].isoformat(),
            **(
                {"plan_volume_litres": data["plan_volume_litres"]}
                if data.get("plan_volume_litres")
                else {}
            ),
            "civility": data["civility"],
            "last_name": data["last_name"],
            "first_name": data["first_name"],
            "household_size": data["household_size"],
            "email": data["email"],
            "phone": data["phone"],
        }


class MoveIn(RequestType):
    key = "move_in"
    slug = "j-emmenage"
    title = "J'emménage"
    heading = "J'emménage"
    intro = (
        "Vous arrivez dans un logement d'une commune de la collectivité et n'avez pas encore de "
        "compte : demandez ici votre abonnement au service des déchets."
    )
    tracking_label = "Emménagement"
    group = Group.ACCOUNT
    listed = False
    in_space = False  # asked from the authority's home, without an account nor a login
    template = "requests/move_in.html"
    form_class = MoveInForm
    labels = {
        "address": "Adresse habitation",
        "moved_in_on": "Date d'emménagement",
        "plan_volume_litres": "Volume du bac",
        "civility": "Civilité",
        "last_name": "Nom",
        "first_name": "Prénom",
        "household_size": "Nombre de personnes du foyer",
        "email": "Email",
        "phone": "Téléphone",
    }
    accept_help = (
        "Le compte usager et son abonnement Bac sont créés ; le demandeur reçoit par email son "
        "code usager et son identifiant portail, avec le lien pour créer son espace."
    )

    def current(self, *, account, user, subject=None) -> dict:
        return {}

    def display(self, key: str, value) -> str:
        if key == "moved_in_on":
            return date_fr(value or "")
        if key == "plan_volume_litres":
            return f"{value} L" if value else ""
        return super().display(key, value)

    def opening_message(self, form) -> tuple[str, list]:
        return "Justificatif de domicile joint à la demande.", [
            (form.cleaned_data["proof"], form.proof_content_type)
        ]

    def _running_at_address(self, service_request) -> list[Subscription]:
        """Subscriptions still running at the address asked: the previous occupant may not
        have reported his move."""
        requested = service_request.requested
        running = Subscription.objects.filter(
            authority_id=service_request.authority_id,
            commune_id=service_request.commune_id,
            number=requested["number"],
            ended_on__isnull=True,
        ).select_related("account", "commune")
        return [s for s in running if fold(s.street) == fold(requested["street"])]

    def consequences(self, service_request, *, account) -> list[str]:
        requested = service_request.requested
        if service_request.account_id:
            return []
        sentences = [
            f"Un compte usager sera créé pour {requested['last_name'].upper()} "
            f"{requested['first_name']}, avec un abonnement Bac"
            + (
                f" (forfait bac de {requested['plan_volume_litres']} L)"
                if requested.get("plan_volume_litres")
                else ""
            )
            + f" au {requested['address']} à "
            f"partir du {date_fr(requested['moved_in_on'])} ; son code usager et son identifiant "
            f"portail seront envoyés à {requested['email']}."
        ]
        for subscription in self._running_at_address(service_request):
            sentences.append(
                f"Attention : l'abonnement {subscription.reference} du compte "
                f"{subscription.account.code} ({subscription.account.holder_name.upper()}) est "
                "toujours en cours à cette adresse : l'occupant précédent n'a peut-être pas "
                "signalé son déménagement."
            )
        return sentences

    def accepted_sentence(self, service_request) -> str:
        requested = service_request.requested
        return (
            f"votre compte usager {service_request.account.code} est ouvert, avec un abonnement "
            f"au {requested['address']} à partir du {date_fr(requested['moved_in_on'])}"
        )

    @staticmethod
    def _account_create(authority, requested: dict) -> Account:
        phone = requested["phone"]
        mobile = phone if phone[:2] in ("06", "07") else ""
        commune = authority.communes.get(insee=requested["commune"])
        return account_create(
            authority=authority,
            values={
                "category": Category.PARTICULIER,
                "civility": requested["civility"],
                "last_name": requested["last_name"],
                "first_name": requested["first_name"],
                "household_size": requested["household_size"],
                "email": requested["email"],
                "phone": "" if mobile else phone,
                "mobile": mobile,
                "billing_number": requested["number"],
                "billing_number_suffix": requested["number_suffix"],
                "billing_street": requested["street"],
                "billing_line2": requested["complement"],
                "billing_postal_code": requested["postal_code"],
                "billing_city": commune.name,
            },
            dwelling={
                "commune": commune,
                "postal_code": requested["postal_code"],
                "street": requested["street"],
                "number": requested["number"],
                "number_suffix": requested["number_suffix"],
                "complement": requested["complement"],
                "plan_volume_litres": requested.get("plan_volume_litres"),
            },
            on=datetime.date.fromisoformat(requested["moved_in_on"]),
        )

    def apply(self, *, service_request, account, agent_user, decision: dict) -> Applied:
        authority = service_request.authority
        requested = service_request.requested
        account = self._account_create(authority, requested)
        subscription = subscription_current(account)
        ServiceRequest.objects.filter(pk=service_request.pk, authority=authority).update(
            account=account
        )
        service_request.account = account
        webhook_event_record(
            authority=authority,
            event="account.opened",
            payload={
                "account_code": account.code,
                "account_created": True,
                "via": "move_in",
                "request_id": service_request.pk,
            },
        )
        lines = [
            f"Votre code usager : {account.code}",
            f"Votre identifiant portail : {account.portal_key}",
        ]
        if authority.signup_with_references:
            signup = authority_absolute_url(authority, "accounts:signup", args=[authority.slug])
            lines.append(
                f"Pour créer votre espace, ouvrez {signup} et indiquez votre email, un mot de "
                f"passe, « {account.last_name.upper()} » comme nom et {account.portal_key} comme "
                "référence usager."
            )
        lines.append(
            "Si vous avez déjà un espace sur le portail, connectez-vous et associez-y ce compte "
            "depuis « Mon profil » avec cet identifiant portail (c'est aussi sa clé "
            "d'activation)."
        )
        return Applied(
            after={
                "account": account.code,
                "subscription": subscription.reference,
                "address": requested["address"],
                "subscribed_on": subscription.subscribed_on.isoformat(),
            },
            note=f"Compte usager {account.code} et abonnement {subscription.reference} créés.",
            email_lines=lines,
        )
