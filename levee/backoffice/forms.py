from django import forms

from levee.collection.models import Flux
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


def errors_tie(form, error) -> None:
    """Adds a service's ValidationError (by field) to `form`, each message tied to its field
    for screen readers as `Form.full_clean` does."""
    form.add_error(None, error)
    for name in form.errors:
        if name not in form.fields:
            continue
        attrs = form.fields[name].widget.attrs
        attrs["aria-invalid"] = "true"
        described = [f"{form[name].auto_id}_error"]
        if form.fields[name].help_text:
            described.insert(0, f"{form[name].auto_id}_helptext")
        attrs["aria-describedby"] = " ".join(described)


def _day(label: str, required: str, **kwargs) -> forms.DateField:
    return forms.DateField(
        label=label,
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "required": required,
            "invalid": "Saisissez une date valide, par exemple 15/03/2024.",
        },
        **kwargs,
    )


def _volume(label: str = "Volume (litres)") -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        min_value=1,
        max_value=10_000,
        help_text="En litres, par exemple 120 ou 240.",
        error_messages={
            "required": "Indiquez le volume du bac, en litres.",
            "invalid": "Indiquez le volume en litres, par un nombre entier (par exemple 120).",
            "min_value": "Le volume doit être d'au moins 1 litre.",
            "max_value": "Le volume ne peut dépasser 10 000 litres.",
        },
    )


def _number(label: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=30,
        required=False,
        help_text="Le n° de puce ou le n° de cuve : l'un des deux au moins.",
    )


class BinNumbersForm(Form):
    """The numbers that identify a bin: its RFID chip or its tank number, one at least."""

    def clean(self):
        cleaned = super().clean()
        for name in ("chip_number", "tank_number"):
            if name in cleaned:
                cleaned[name] = " ".join(cleaned[name].split())
        if (
            "chip_number" in cleaned
            and "tank_number" in cleaned
            and not cleaned["chip_number"]
            and not cleaned["tank_number"]
        ):
            self.add_error("chip_number", "Indiquez le n° de puce du bac, ou son n° de cuve.")
        return cleaned


class BinAddForm(BinNumbersForm):
    """« Ajouter un bac » to one of the account's subscriptions."""

    subscription = forms.ChoiceField(
        label="Abonnement",
        error_messages={
            "required": "Choisissez l'abonnement qui reçoit le bac.",
            "invalid_choice": "Choisissez un abonnement du compte dans la liste.",
        },
    )
    flux = forms.ChoiceField(
        label="Flux",
        choices=[("", "-- Sélectionner --"), *Flux.choices],
        error_messages={
            "required": "Choisissez le flux du bac.",
            "invalid_choice": "Choisissez un flux de la liste.",
        },
    )
    volume_litres = _volume()
    chip_number = _number("N° de puce")
    tank_number = _number("N° de cuve")
    delivered_on = _day("Livré le", "Indiquez le jour où le bac a été livré.")

    def __init__(self, *args, subscriptions, **kwargs):
        super().__init__(*args, **kwargs)
        self.subscriptions = {str(s.pk): s for s in subscriptions}
        self.fields["subscription"].choices = [
            ("", "-- Sélectionner --"),
            *(
                (
                    str(s.pk),
                    f"{s.reference} — {s.address_line.upper()}"
                    + (f" (terminé le {s.ended_on:%d/%m/%Y})" if s.ended_on else ""),
                )
                for s in subscriptions
            ),
        ]
        if len(self.subscriptions) == 1 and not self.is_bound:
            self.initial["subscription"] = next(iter(self.subscriptions))

    def clean_subscription(self):
        return self.subscriptions[self.cleaned_data["subscription"]]


class BinReplaceForm(BinNumbersForm):
    """« Remplacer » a bin: the old one removed on a day, the new one delivered that day."""

    replaced_on = _day(
        "Remplacé le",
        "Indiquez le jour du remplacement.",
        help_text="Le bac actuel est retiré ce jour-là et le nouveau livré le même jour ; les "
        "levées déjà faites restent au bac retiré.",
    )
    volume_litres = _volume("Volume du nouveau bac (litres)")
    chip_number = _number("N° de puce du nouveau bac")
    tank_number = _number("N° de cuve du nouveau bac")


class BinRemoveForm(Form):
    """« Retirer » a bin on a day."""

    removed_on = _day("Retiré le", "Indiquez le jour où le bac a été retiré.")


class PlanForm(Form):
    """« Forfait » of a « bac » subscription: a volume of the authority's grid, or none (the
    volume of its household-waste bin then prices it)."""

    BY_BIN = ""

    plan_volume_litres = forms.TypedChoiceField(
        label="Forfait",
        coerce=int,
        empty_value=None,
        required=False,
        error_messages={"invalid_choice": "Choisissez un forfait de la grille tarifaire."},
    )

    def __init__(self, *args, plans, current: int | None, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(self.BY_BIN, "Selon le bac d'ordures ménagères")]
        choices += [(p.volume_litres, p.label) for p in plans]
        if current and current not in {p.volume_litres for p in plans}:
            choices.append((current, f"{current} L (absent de la grille en vigueur)"))
        field = self.fields["plan_volume_litres"]
        field.choices = choices
        if not self.is_bound:
            self.initial["plan_volume_litres"] = current if current else self.BY_BIN
