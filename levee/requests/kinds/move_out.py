"""« Je signale mon déménagement » (flow 10): the date, the new address and a proof. The
household lives at the new dwelling from the move's date: on acceptance the running
subscription ends the day before (its last day billed) with its bins, the billing address
becomes the new one (the last invoice must reach the resident), and a new address in one
of the authority's communes opens a subscription there from that date: the household
stays the same account, its bins at the new dwelling are delivered (and imported) by the
authority's service as for any subscription."""

import datetime
import re

from django import forms
from django.utils import timezone

from levee.authorities.models import Commune
from levee.lib.templatetags.levee_format import day_fr
from levee.subscribers.models import PaymentMode
from levee.subscribers.services import subscription_open

from ..forms import proof_field
from .base import Applied, Group
from .common import (
    PROOF_HELP,
    SUFFIXES,
    address_line,
    authority_commune_of,
    date_field,
    date_fr,
    number_field,
    text_field,
    texts_collapsed,
)
from .ending import EndingForm, EndingType, bins_removed, ends_sentence
from .personal_information import COUNTRIES

ADDRESS_FIELDS = ("street", "complement", "postal_code", "city")


class MoveOutForm(EndingForm):
    ended_on = date_field(
        "Date du déménagement",
        required_message="Indiquez la date du déménagement.",
        help_text="Le jour où vous quittez votre logement actuel : votre abonnement y court "
        "jusqu'à la veille.",
    )
    country = forms.ChoiceField(
        label="Pays", choices=COUNTRIES, widget=forms.Select(attrs={"autocomplete": "country"})
    )
    postal_code = text_field(
        "Code Postal", max_length=10, required=True, autocomplete="postal-code"
    )
    city = text_field("Ville", max_length=100, required=True, autocomplete="address-level2")
    number = number_field()
    number_suffix = forms.ChoiceField(label="Ext.", choices=SUFFIXES, required=False)
    street = text_field("Rue", max_length=200, required=True, autocomplete="address-line1")
    complement = text_field("Complément d'adresse", max_length=200)
    proof = proof_field(
        "Justificatif de déménagement",
        required_message="Joignez votre justificatif de déménagement.",
        help_text="Bail ou état des lieux, acte de vente, facture d'énergie à la nouvelle "
        f"adresse… : {PROOF_HELP}",
    )

    days_kept_before = 1

    def __init__(self, *args, authority, **kwargs):
        self.authority = authority
        self.new_commune = None
        super().__init__(*args, **kwargs)

    def initial_from(self, current: dict) -> dict:
        return {"country": "FR"}

    def clean(self):
        cleaned = super().clean()
        texts_collapsed(self, cleaned, ADDRESS_FIELDS)
        postal_code = cleaned.get("postal_code", "").upper()
        cleaned["postal_code"] = postal_code
        if cleaned.get("country") == "FR" and postal_code:
            if not re.fullmatch(r"\d{5}", postal_code):
                self.add_error(
                    "postal_code", "Un code postal français compte 5 chiffres, par exemple 59190."
                )
            elif cleaned.get("city"):
                commune, names = authority_commune_of(
                    self.authority, postal_code=postal_code, city=cleaned["city"]
                )
                if names and commune is None:
                    self.add_error(
                        "city",
                        f"Le code postal {postal_code} est celui de {' ou '.join(names)} : "
                        "corrigez la ville ou le code postal.",
                    )
                self.new_commune = commune
        elif postal_code and not re.fullmatch(r"[0-9A-Z -]{2,10}", postal_code):
            self.add_error("postal_code", "Ce code postal n'est pas valide.")
        return cleaned

    def values(self) -> dict:
        data = self.cleaned_data
        line = address_line(
            number=data["number"],
            number_suffix=data["number_suffix"],
            street=data["street"],
            complement=data["complement"],
            postal_code=data["postal_code"],
            city=data["city"],
        )
        on = date_fr(data["ended_on"])
        if self.new_commune is not None:
            dwelling = f"{line} (nouvel abonnement à partir du {on})"
        else:
            dwelling = f"{line} (hors du territoire : pas de nouvel abonnement)"
        return {
            "ended_on": data["ended_on"].isoformat(),
            "dwelling": dwelling,
            "billing": line
            if data["country"] == "FR"
            else f"{line} {dict(COUNTRIES)[data['country']]}",
            "new_address": {
                name: data[name]
                for name in ("country", "postal_code", "city", "number", "number_suffix", "street")
            }
            | {"complement": data["complement"]},
            "new_commune": self.new_commune.insee if self.new_commune else "",
        }


class MoveOut(EndingType):
    key = "move_out"
    slug = "je-signale-mon-demenagement"
    title = "Je signale mon déménagement"
    heading = "Je signale mon déménagement"
    intro = (
        "Je quitte mon logement : j'indique la date de mon déménagement et ma nouvelle adresse. "
        "Mon abonnement prend fin la veille de cette date."
    )
    tracking_label = "Déménagement"
    group = Group.ACCOUNT
    template = "requests/kinds/move_out.html"
    form_class = MoveOutForm
    labels = {
        "ended_on": "Fin de l'abonnement",
        "dwelling": "Adresse habitation",
        "billing": "Adresse facturation",
    }
    accept_help = (
        "L'abonnement prend fin la veille du déménagement (son dernier jour facturé), ses bacs "
        "sont retirés et l'adresse de facturation devient la nouvelle adresse ; l'usager est "
        "informé par email."
    )

    last_day_words = ", veille du déménagement"

    def last_day(self, on: datetime.date) -> datetime.date:
        # The household lives at the new dwelling from the move's date: that day is the new
        # subscription's, never billed twice.
        return on - datetime.timedelta(days=1)

    def details(self, service_request) -> list[tuple[str, str]]:
        return [("Date du déménagement", date_fr(service_request.requested.get("ended_on", "")))]

    def form(self, *, data=None, files=None, account, user, subject=None):
        return self.form_class(
            data,
            files,
            current=self.current(account=account, user=user),
            authority=account.authority,
        )

    def _commune(self, service_request):
        insee = service_request.requested.get("new_commune")
        if not insee:
            return None
        return service_request.authority.communes.filter(insee=insee).first()

    def consequences(self, service_request, *, account) -> list[str]:
        sentences = self._end_consequences(service_request, account)
        if len(sentences) == 1 and "ne pourra pas" in sentences[0]:
            return sentences
        new = service_request.requested
        sentences.append(f"L'adresse de facturation deviendra {new['billing']}.")
        commune = self._commune(service_request)
        if commune is not None:
            sentences.append(
                f"La nouvelle adresse est à {commune.name} : un nouvel abonnement Bac y sera "
                f"ouvert à partir du {date_fr(new['ended_on'])}, jour du déménagement. Ses bacs "
                "seront à livrer."
            )
        return sentences

    def accepted_sentence(self, service_request) -> str:
        on = datetime.date.fromisoformat(service_request.requested["ended_on"])
        return (
            f"votre abonnement à votre adresse actuelle prend fin le {day_fr(self.last_day(on))}, "
            "veille de votre déménagement, et votre adresse de facturation est mise à jour"
        )

    def apply(self, *, service_request, account, agent_user, decision: dict) -> Applied:
        subscription, on, bins = self._end(service_request, account)
        new = service_request.requested["new_address"]
        billing = {
            "billing_country": new["country"],
            "billing_postal_code": new["postal_code"],
            "billing_city": new["city"],
            "billing_number": new["number"],
            "billing_number_suffix": new["number_suffix"],
            "billing_street": new["street"],
            "billing_line2": new["complement"],
            "billing_building": "",
            "billing_staircase": "",
            "billing_apartment": "",
            "billing_floor": "",
            "billing_po_box": "",
            "billing_city_complement": "",
        }
        for name, value in billing.items():
            setattr(account, name, value)
        account.save(update_fields=[*billing, "updated_at"])
        after = {
            "subscription": subscription.reference,
            "ended_on": on.isoformat(),
            "bins_removed": bins,
            "billing": account.billing_address_line.upper(),
        }
        later = on >= timezone.localdate()
        note = f"{ends_sentence(subscription.reference, on)}{bins_removed(bins, later=later)}."
        email_lines = []
        commune: Commune | None = self._commune(service_request)
        if commune is not None:
            starts = datetime.date.fromisoformat(service_request.requested["ended_on"])
            opened = subscription_open(
                account=account,
                commune=commune,
                on=starts,
                postal_code=new["postal_code"],
                street=new["street"],
                number=new["number"],
                number_suffix=new["number_suffix"],
                complement=new["complement"],
                kind=subscription.kind,
            )
            # The household's way of paying follows it: a debit under its mandate (which is
            # the account's) goes on at the new dwelling until the resident stops it.
            opened.payment_mode, opened.iban = subscription.payment_mode, subscription.iban
            opened.save(update_fields=["payment_mode", "iban", "updated_at"])
            after["new_subscription"] = opened.reference
            note += (
                f" Nouvel abonnement {opened.reference} au {opened.address_line.upper()} à partir "
                f"du {day_fr(starts)}."
            )
            email_lines.append(
                f"Votre nouvel abonnement {opened.reference} au {opened.address_line.upper()} "
                f"commence le {day_fr(starts)} : dès ce jour, vos collectes et votre forfait "
                "sont ceux de votre nouvelle adresse."
            )
            if opened.payment_mode == PaymentMode.DIRECT_DEBIT:
                email_lines.append(
                    "Votre mandat de prélèvement continue : les factures de votre nouvel "
                    "abonnement seront prélevées sur le même compte, sans démarche de votre part."
                )
        return Applied(after=after, note=note, email_lines=email_lines)
