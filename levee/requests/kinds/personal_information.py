"""« Modifier mes informations personnelles » (seed 004): the holder and the billing address.
A billing address that was also the dwelling address is a typo fixed in both places (seed 004:
29 → 30 on both header lines); a real change of dwelling is a move, not a correction."""

import re

from django import forms

from levee.lib.text import fold_compact
from levee.subscribers.models import Account, Category, Civility, Subscription
from levee.subscribers.selectors import subscription_running

from ..forms import RequestForm, collapse
from .base import Applied, Group, RequestType

COUNTRIES = [
    ("FR", "FRANCE"),
    ("BE", "BELGIQUE"),
    ("LU", "LUXEMBOURG"),
    ("DE", "ALLEMAGNE"),
    ("CH", "SUISSE"),
    ("NL", "PAYS-BAS"),
    ("GB", "ROYAUME-UNI"),
    ("ES", "ESPAGNE"),
    ("IT", "ITALIE"),
    ("MC", "MONACO"),
    ("AD", "ANDORRE"),
]
SUFFIXES = [("", "—"), ("B", "B"), ("bis", "bis"), ("ter", "ter"), ("quater", "quater")]
SUFFIXES += [("A", "A"), ("C", "C"), ("D", "D")]
TEXT_FIELDS = (
    "last_name",
    "first_name",
    "billing_postal_code",
    "billing_city",
    "billing_number",
    "billing_street",
    "billing_line2",
    "billing_building",
    "billing_staircase",
    "billing_apartment",
    "billing_floor",
    "billing_po_box",
    "billing_city_complement",
)
LABELS = {
    "category": "Catégorie",
    "civility": "Civilité",
    "last_name": "Nom",
    "first_name": "Prénom",
    "household_size": "Nombre de personnes du foyer",
    "billing_country": "Pays",
    "billing_postal_code": "Code Postal",
    "billing_city": "Ville",
    "billing_number": "N°",
    "billing_number_suffix": "Ext.",
    "billing_street": "Rue",
    "billing_line2": "Adresse Ligne 2",
    "billing_building": "Bâtiment",
    "billing_staircase": "Esc.",
    "billing_apartment": "App.",
    "billing_floor": "Etg.",
    "billing_po_box": "BP",
    "billing_city_complement": "Complément Ville (CEDEX, CS, ...)",
}


def _text(name: str, *, required: bool = False, autocomplete: str = "") -> forms.CharField:
    attrs = {"autocomplete": autocomplete} if autocomplete else {}
    return forms.CharField(
        label=LABELS[name],
        max_length=Account._meta.get_field(name).max_length,
        required=required,
        widget=forms.TextInput(attrs=attrs),
    )


class PersonalInformationForm(RequestForm):
    category = forms.ChoiceField(label="Catégorie", choices=Category.choices)
    civility = forms.ChoiceField(
        label="Civilité",
        choices=[("", "-- Sélectionner --"), *Civility.choices],
        required=False,
        widget=forms.Select(attrs={"autocomplete": "honorific-prefix"}),
    )
    last_name = _text("last_name", required=True, autocomplete="family-name")
    first_name = _text("first_name", autocomplete="given-name")
    household_size = forms.IntegerField(
        label="Nombre de personnes du foyer", min_value=1, max_value=30, required=False
    )
    billing_country = forms.ChoiceField(
        label="Pays", choices=COUNTRIES, widget=forms.Select(attrs={"autocomplete": "country"})
    )
    billing_postal_code = _text("billing_postal_code", required=True, autocomplete="postal-code")
    billing_city = _text("billing_city", required=True, autocomplete="address-level2")
    billing_number = forms.RegexField(
        label="N°",
        regex=r"^\d{1,5}$",
        required=False,
        error_messages={
            "invalid": "Le numéro ne contient que des chiffres ; choisissez bis, ter… dans « Ext. »."
        },
    )
    billing_number_suffix = forms.ChoiceField(label="Ext.", choices=SUFFIXES, required=False)
    billing_street = _text("billing_street", required=True)
    billing_line2 = _text("billing_line2")
    billing_building = _text("billing_building")
    billing_staircase = _text("billing_staircase")
    billing_apartment = _text("billing_apartment")
    billing_floor = _text("billing_floor")
    billing_po_box = _text("billing_po_box")
    billing_city_complement = _text("billing_city_complement")

    def __init__(self, *args, current: dict, **kwargs):
        super().__init__(*args, current=current, **kwargs)
        # A country or suffix stored by an import but not offered stays selectable.
        for name, choices in (("billing_country", COUNTRIES), ("billing_number_suffix", SUFFIXES)):
            value = current.get(name) or ""
            if value and value not in dict(choices):
                self.fields[name].choices = [(value, value), *choices]

    def values(self) -> dict:
        values = super().values()
        for name in TEXT_FIELDS:
            values[name] = collapse(values[name])
        values["billing_postal_code"] = values["billing_postal_code"].upper()
        return values

    def clean(self):
        postal_code = collapse(self.cleaned_data.get("billing_postal_code", ""))
        country = self.cleaned_data.get("billing_country")
        if postal_code and country == "FR" and not re.fullmatch(r"\d{5}", postal_code):
            self.add_error(
                "billing_postal_code",
                "Un code postal français compte 5 chiffres, par exemple 59270.",
            )
        elif postal_code and not re.fullmatch(r"[0-9A-Za-z -]{2,10}", postal_code):
            self.add_error("billing_postal_code", "Ce code postal n'est pas valide.")
        return super().clean()


def _same(a: str, b: str) -> bool:
    return fold_compact(a) == fold_compact(b)


class PersonalInformation(RequestType):
    key = "personal_information"
    slug = "modifier-mes-informations-personnelles"
    title = "Modifier mes informations personnelles"
    heading = "Modifier mes informations"
    intro = "Je modifie ici mes informations personnelles."
    tracking_label = "Modification de mes informations"
    group = Group.ACCOUNT
    template = "requests/kinds/personal_information.html"
    form_class = PersonalInformationForm
    labels = LABELS

    def current(self, *, account, user, subject=None) -> dict:
        return {name: getattr(account, name) for name in LABELS}

    def display(self, key: str, value) -> str:
        choices = {
            "category": Category.choices,
            "civility": Civility.choices,
            "billing_country": COUNTRIES,
        }.get(key)
        if choices and value:
            return dict(choices).get(value, value)
        return super().display(key, value)

    def _dwelling_to_correct(self, account, requested: dict) -> Subscription | None:
        """The running subscription whose dwelling address is the billing address (same
        number, street and postal code) and stays in its commune with the new one."""
        subscription = subscription_running(account)
        if subscription is None or requested.get("billing_country") != "FR":
            return None
        was_the_same = (
            _same(account.billing_number, subscription.number)
            and _same(account.billing_street, subscription.street)
            and account.billing_postal_code.strip() == subscription.postal_code
        )
        stays_in_commune = subscription.commune.postal_codes.filter(
            postal_code=requested.get("billing_postal_code")
        ).exists()
        return subscription if was_the_same and stays_in_commune else None

    @staticmethod
    def _dwelling_line(subscription, requested: dict) -> str:
        corrected = Subscription(
            number=requested["billing_number"],
            number_suffix=requested["billing_number_suffix"],
            street=requested["billing_street"],
            complement=subscription.complement,
            postal_code=requested["billing_postal_code"],
            commune=subscription.commune,
        )
        return corrected.address_line.upper()

    def consequences(self, service_request, *, account) -> list[str]:
        subscription = self._dwelling_to_correct(account, service_request.requested)
        if subscription is None:
            return []
        return [
            f"L'adresse d'habitation de l'abonnement {subscription.reference} "
            f"({subscription.address_line.upper()}) est aussi l'adresse de facturation : elle "
            f"sera corrigée de la même façon ({self._dwelling_line(subscription, service_request.requested)})."
        ]

    def apply(self, *, service_request, account, agent_user, decision: dict) -> Applied:
        requested = service_request.requested
        subscription = self._dwelling_to_correct(account, requested)
        changed = [name for name in LABELS if getattr(account, name) != requested[name]]
        for name in changed:
            setattr(account, name, requested[name])
        account.save(update_fields=[*changed, "updated_at"])
        after = {name: requested[name] for name in changed}
        note = ""
        if subscription is not None:
            before_line = subscription.address_line.upper()
            subscription.number = requested["billing_number"]
            subscription.number_suffix = requested["billing_number_suffix"]
            subscription.street = requested["billing_street"]
            subscription.postal_code = requested["billing_postal_code"]
            subscription.save(
                update_fields=["number", "number_suffix", "street", "postal_code", "updated_at"]
            )
            after["dwelling"] = {
                "subscription": subscription.reference,
                "before": before_line,
                "after": subscription.address_line.upper(),
            }
            note = f"Adresse d'habitation corrigée aussi : {subscription.address_line.upper()}."
        return Applied(after=after, note=note)
