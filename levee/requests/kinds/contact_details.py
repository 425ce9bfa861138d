"""« Modifier mes coordonnées » (seed 004): the email and up to three phone numbers, each with
its type. Once accepted the phones apply at once; a new email is sent a confirmation link
and becomes the login identifier only when the link is followed."""

import re

from django import forms
from django.urls import reverse

from levee.accounts.models import User
from levee.mailing.services import mail_enqueue

from ..forms import RequestForm
from ..tokens import email_confirm_token
from .base import Applied, ApplyRefused, Group, RequestType

PHONE_TYPES = [("portable", "Portable"), ("fixe", "Fixe"), ("professionnel", "Professionnel")]
# Where each type is kept on the account, in the order the form is pre-filled.
PHONE_FIELDS = {"fixe": "phone", "portable": "mobile", "professionnel": "work_phone"}
SLOTS = (1, 2, 3)
EMAIL_TAKEN = "Cette adresse email est déjà utilisée par un autre identifiant."


def phone_normalize(value: str) -> str:
    """« 06 12.34-56 78 », « +33 6 12 34 56 78 » → « 0612345678 »; other text unchanged."""
    digits = re.sub(r"[\s.\-]", "", value or "")
    if digits.startswith("+33"):
        digits = "0" + digits[3:]
    elif digits.startswith("0033"):
        digits = "0" + digits[4:]
    return digits


def email_taken(email: str, *, user) -> bool:
    others = User.objects.filter(email__iexact=email)
    if user is not None:
        others = others.exclude(pk=user.pk)
    return others.exists()


def _number(n: int) -> forms.CharField:
    return forms.CharField(
        label=f"Numéro {n}",
        max_length=25,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )


def _type(n: int) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=f"Type du numéro {n}",
        choices=[("", "-- Sélectionner --"), *PHONE_TYPES],
        required=False,
    )


def email_confirm_send(*, service_request, user, new_email: str) -> None:
    """Mails the link that makes `new_email` the login of `user` (for this request)."""
    token = email_confirm_token(
        service_request_pk=service_request.pk, old_email=user.email, new_email=new_email
    )
    mail_enqueue(
        to=new_email,
        template="request_email_confirm",
        context={
            "confirm_url": reverse(
                "requests:email_confirm", args=[service_request.authority.slug, token]
            ),
            "new_email": new_email,
        },
        authority=service_request.authority,
    )


class ContactDetailsForm(RequestForm):
    nothing_changed = (
        "Vous n'avez rien modifié : indiquez votre nouvelle adresse email et/ou vos numéros, "
        "puis cliquez sur « Valider »."
    )
    email = forms.EmailField(
        label="Email", max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    number_1, type_1 = _number(1), _type(1)
    number_2, type_2 = _number(2), _type(2)
    number_3, type_3 = _number(3), _type(3)

    def initial_from(self, current: dict) -> dict:
        initial = {"email": current["email"]}
        numbers = [(kind, current[f]) for kind, f in PHONE_FIELDS.items() if current.get(f)]
        for n, (kind, number) in zip(SLOTS, numbers, strict=False):
            initial[f"number_{n}"], initial[f"type_{n}"] = number, kind
        return initial

    def slots(self):
        """(number field, type field) of each row, for the template."""
        return [(self[f"number_{n}"], self[f"type_{n}"]) for n in SLOTS]

    def clean_email(self):
        email = User.objects.normalize_email(self.cleaned_data["email"].strip())
        if email.lower() != (self.current.get("email") or "").lower() and email_taken(
            email, user=self.user
        ):
            raise forms.ValidationError(EMAIL_TAKEN)
        return email

    def clean(self):
        seen: dict[str, int] = {}
        for n in SLOTS:
            number = phone_normalize(self.cleaned_data.get(f"number_{n}", ""))
            kind = self.cleaned_data.get(f"type_{n}", "")
            if number and not re.fullmatch(r"0[1-9]\d{8}", number):
                self.add_error(
                    f"number_{n}",
                    "Saisissez un numéro à 10 chiffres, par exemple 06 12 34 56 78.",
                )
            elif number and not kind:
                self.add_error(f"type_{n}", f"Choisissez le type du numéro {n}.")
            elif kind and not number:
                self.add_error(
                    f"number_{n}",
                    f"Saisissez le numéro {n}, ou laissez son type sur « -- Sélectionner -- ».",
                )
            elif kind in seen:
                self.add_error(
                    f"type_{n}",
                    f"Un seul numéro par type : le numéro {seen[kind]} est déjà « {dict(PHONE_TYPES)[kind]} ».",
                )
            elif kind:
                seen[kind] = n
            self.cleaned_data[f"number_{n}"] = number
        return super().clean()

    def values(self) -> dict:
        values = {"email": self.cleaned_data["email"], **dict.fromkeys(PHONE_FIELDS.values(), "")}
        for n in SLOTS:
            kind = self.cleaned_data.get(f"type_{n}")
            if kind:
                values[PHONE_FIELDS[kind]] = self.cleaned_data[f"number_{n}"]
        return values

    def comparable(self, current: dict) -> dict:
        return {
            "email": current["email"],
            **{f: phone_normalize(current.get(f, "")) for f in PHONE_FIELDS.values()},
        }


class ContactDetails(RequestType):
    key = "contact_details"
    slug = "modifier-mes-coordonnees"
    title = "Modifier mes coordonnées"
    heading = "Modifier mes coordonnées"
    intro = "Si mes coordonnées sont différentes (email, téléphone), je les modifie ici."
    tracking_label = "Modification de mes informations"
    group = Group.ACCOUNT
    template = "requests/kinds/contact_details.html"
    form_class = ContactDetailsForm
    login_fields = ("email",)
    labels = {
        "email": "Email",
        "phone": "Téléphone fixe",
        "mobile": "Téléphone portable",
        "work_phone": "Téléphone professionnel",
    }

    def form(self, *, data=None, files=None, account, user, subject=None):
        return self.form_class(
            data, files, current=self.current(account=account, user=user), user=user
        )

    def current(self, *, account, user, subject=None) -> dict:
        return {
            # The email is the login of the person who asks (the header shows it).
            "email": user.email if user is not None else account.email,
            **{f: getattr(account, f) for f in PHONE_FIELDS.values()},
        }

    def _new_email(self, service_request) -> str:
        user = service_request.requested_by
        new = service_request.requested["email"]
        if service_request.made_by_agent_id is not None:
            # Made at the counter: the email field was the account's, and locked.
            return ""
        return "" if user is not None and new.lower() == user.email.lower() else new

    def consequences(self, service_request, *, account) -> list[str]:
        new = self._new_email(service_request)
        if not new:
            return []
        if email_taken(new, user=service_request.requested_by):
            return [f"{new} : {EMAIL_TAKEN} La demande ne peut pas être acceptée telle quelle."]
        return [
            f"Un lien de confirmation sera envoyé à {new} : cette adresse deviendra l'identifiant "
            "de connexion quand l'usager l'aura suivi."
        ]

    def apply(self, *, service_request, account, agent_user, decision: dict) -> Applied:
        requested = service_request.requested
        changed = [f for f in PHONE_FIELDS.values() if getattr(account, f) != requested[f]]
        for name in changed:
            setattr(account, name, requested[name])
        account.save(update_fields=[*changed, "updated_at"])
        after = {name: requested[name] for name in changed}
        new = self._new_email(service_request)
        if not new:
            return Applied(after=after)
        user = User.objects.select_for_update().filter(pk=service_request.requested_by_id).first()
        if user is None:
            raise ApplyRefused(
                "L'identifiant qui a fait la demande n'existe plus : l'email ne peut pas changer."
            )
        if email_taken(new, user=user):
            raise ApplyRefused(
                f"{new} : {EMAIL_TAKEN} Refusez la demande ou demandez un complément."
            )
        email_confirm_send(service_request=service_request, user=user, new_email=new)
        after["email"] = f"{new} (à confirmer)"
        return Applied(
            after=after,
            note=f"Lien de confirmation envoyé à {new}.",
            outcome={"new_email": new, "confirmed_at": None},
        )
