"""Forms of the billing back office. Money is typed as people write it (« 120,00 », « 1 200 »,
« 0,35 ») and becomes integer cents; a VAT rate is typed in % (« 10 », « 5,5 ») and becomes
basis points. Every refusal is a French message next to its field."""

import re

from django import forms

from levee.lib.forms import Form, ModelForm

from .models import BillingSettings, PlanKind, RunKind
from .pricing import hundredths_text
from .services import period_of

NUMBER_RE = re.compile(r"^(\d{1,9})(?:[.,](\d{1,2}))?$")
BLANKS = str.maketrans("", "", " \u00a0\u202f")
MAX_AMOUNT_CENTS = 100_000_00  # 100 000 € a plan: beyond, it is a typing error
MAX_VAT_BP = 2500  # 25 %: France's rates are 2,1, 5,5, 10 and 20 %
YEAR_MIN, YEAR_MAX = 2000, 2099
FIRST_VALUE_MAX = 999_999


def hundredths_parse(text: str) -> int | None:
    """« 120,5 » → 12050, « 7 » → 700; None when it is not a positive number with two
    decimals at most (a minus sign, letters, « 1,234 »)."""
    match = NUMBER_RE.match(text.translate(BLANKS).removesuffix("€").removesuffix("%"))
    if match is None:
        return None
    units, decimals = match.groups()
    return int(units) * 100 + int((decimals or "0").ljust(2, "0"))


class EurosField(forms.CharField):
    """An amount in euros → integer cents."""

    def __init__(self, *, example: str = "120,00", **kwargs):
        self.example = example
        super().__init__(**kwargs)
        self.widget.attrs.update({"inputmode": "decimal", "autocomplete": "off", "maxlength": 20})

    def to_python(self, value):
        text = super().to_python(value)
        if text in self.empty_values:
            return None
        if text.lstrip().startswith("-"):
            raise forms.ValidationError("Le montant ne peut pas être négatif.", code="negative")
        cents = hundredths_parse(text)
        if cents is None:
            raise forms.ValidationError(
                f"Saisissez un montant en euros, par exemple {self.example}.", code="invalid"
            )
        if cents > MAX_AMOUNT_CENTS:
            raise forms.ValidationError(
                "Ce montant est trop élevé (100 000,00 € au plus).", code="too_large"
            )
        return cents


class VatRateField(forms.CharField):
    """A VAT rate in % → basis points (« 5,5 » → 550)."""

    default_error_messages = {
        "invalid": "Saisissez le taux de TVA en %, entre 0 et 25, par exemple 10 ou 5,5.",
    }

    def to_python(self, value):
        text = super().to_python(value)
        if text in self.empty_values:
            return None
        bp = hundredths_parse(text)
        if bp is None or bp > MAX_VAT_BP:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return bp


def _year_field() -> forms.IntegerField:
    return forms.IntegerField(
        label="Année",
        min_value=YEAR_MIN,
        max_value=YEAR_MAX,
        error_messages={
            "required": "Indiquez l'année.",
            "invalid": "Saisissez une année sur quatre chiffres, par exemple 2025.",
            "min_value": f"Saisissez une année entre {YEAR_MIN} et {YEAR_MAX}.",
            "max_value": f"Saisissez une année entre {YEAR_MIN} et {YEAR_MAX}.",
        },
    )


def _count_field(label: str, *, maximum: int, required: bool = True, **kwargs):
    return forms.IntegerField(
        label=label,
        min_value=0,
        max_value=maximum,
        required=required,
        error_messages={
            "invalid": "Saisissez un nombre entier, sans virgule.",
            "min_value": "Ce nombre ne peut pas être négatif.",
            "max_value": f"Ce nombre est trop grand ({maximum} au plus).",
            "required": "Ce champ est obligatoire.",
        },
        **kwargs,
    )


class TariffPlanForm(Form):
    """One plan of a grid. An extra row left empty is ignored (its « Forfait » is blank)."""

    kind = forms.ChoiceField(
        label="Forfait",
        choices=[("", "— Choisir —"), *PlanKind.choices],
        required=False,
    )
    volume_litres = _count_field(
        "Volume du bac (litres)",
        maximum=10_000,
        required=False,
        help_text="Pour un bac seulement.",
    )
    label = forms.CharField(
        label="Libellé sur la facture",
        max_length=100,
        required=False,
        help_text="Facultatif : « Bac 120 L », « Sac » ou « Badge » par défaut.",
    )
    fixed_cents = EurosField(label="Part fixe annuelle HT (€)")
    included_lifts = _count_field("Levées ou ouvertures incluses par an", maximum=10_000)
    extra_lift_cents = EurosField(
        label="Prix d'une levée ou ouverture supplémentaire HT (€)", example="2,50"
    )
    kg_cents = EurosField(label="Prix au kg HT (€)", required=False, example="0,35")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kg_cents"].help_text = "Facultatif : laissez vide sans part au poids."
        for name in ("fixed_cents", "included_lifts", "extra_lift_cents"):
            self.fields[name].error_messages["required"] = "Ce champ est obligatoire."

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        volume = data.get("volume_litres")
        if not kind:
            self.add_error("kind", "Choisissez le forfait : bac, sac ou badge.")
        elif kind == PlanKind.BAC and volume in (None, 0) and "volume_litres" not in self.errors:
            self.add_error(
                "volume_litres", "Indiquez le volume du bac en litres (par exemple 120)."
            )
        elif kind != PlanKind.BAC and volume is not None:
            self.add_error(
                "volume_litres", "Seul un forfait bac a un volume : laissez ce champ vide."
            )
        return data

    def plan(self) -> dict:
        data = self.cleaned_data
        kind = data["kind"]
        volume = data["volume_litres"] if kind == PlanKind.BAC else None
        default = f"Bac {volume} L" if volume else PlanKind(kind).label
        return {
            "kind": kind,
            "volume_litres": volume,
            "label": data["label"].strip() or default,
            "fixed_cents": data["fixed_cents"],
            "included_lifts": data["included_lifts"],
            "extra_lift_cents": data["extra_lift_cents"],
            "kg_cents": data["kg_cents"],
        }

    @staticmethod
    def initial_from(plan) -> dict:
        return {
            "kind": plan.kind,
            "volume_litres": plan.volume_litres,
            "label": plan.label,
            "fixed_cents": hundredths_text(plan.fixed_cents),
            "included_lifts": plan.included_lifts,
            "extra_lift_cents": hundredths_text(plan.extra_lift_cents),
            "kg_cents": hundredths_text(plan.kg_cents),
        }


class BasePlanFormSet(forms.BaseFormSet):
    def add_fields(self, form, index):
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = "Retirer ce forfait de la grille"

    def clean(self):
        if any(self.errors):
            return
        seen = set()
        kept = 0
        for form in self.forms:
            if not form.has_changed() or self._should_delete_form(form):
                continue
            kept += 1
            plan = form.plan()
            key = (plan["kind"], plan["volume_litres"])
            if key in seen:
                if plan["kind"] == PlanKind.BAC:
                    form.add_error(
                        "volume_litres",
                        f"Le bac de {plan['volume_litres']} litres figure déjà dans la grille.",
                    )
                else:
                    form.add_error("kind", "Ce forfait figure déjà dans la grille.")
            seen.add(key)
        if not kept:
            raise forms.ValidationError("Ajoutez au moins un forfait à la grille.")

    def plans(self) -> list[dict]:
        return [
            form.plan()
            for form in self.forms
            if form.has_changed() and not self._should_delete_form(form)
        ]


PlanFormSet = forms.formset_factory(
    TariffPlanForm,
    formset=BasePlanFormSet,
    extra=2,
    can_delete=True,
    can_delete_extra=False,
    max_num=40,
    validate_max=True,
)


class TariffForm(Form):
    """The grid's own fields; its plans are a `PlanFormSet` beside it. `year` is asked at
    creation only; an edit asks its « motif » and carries the version it started from."""

    year = _year_field()
    vat_rate_bp = VatRateField(
        label="Taux de TVA (%)",
        help_text="0 si la redevance n'est pas soumise à la TVA ; sinon 10 ou 5,5, par exemple.",
        error_messages={"required": "Indiquez le taux de TVA (0 sans TVA)."},
    )
    note = forms.CharField(
        label="Motif de la modification",
        max_length=200,
        error_messages={"required": "Indiquez le motif de la modification."},
    )
    based_on = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, editing: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["vat_rate_bp"].widget.attrs.update({"inputmode": "decimal", "maxlength": 10})
        if editing:
            del self.fields["year"]
            self.fields[
                "note"
            ].help_text = "Par exemple « Délibération du 12 mars » : il figure dans l'historique."
        else:
            del self.fields["based_on"]
            self.fields["note"].required = False
            self.fields["note"].label = "Motif (facultatif)"


class BillingSettingsForm(ModelForm):
    due_days = _count_field(
        "Délai de paiement (jours après la date de facture)",
        maximum=365,
        help_text="La date d'échéance des factures : date facture + ce délai.",
    )
    online_payment_grace_days = _count_field(
        "Paiement en ligne ouvert (jours après l'échéance)",
        maximum=365,
        help_text="Passé ce délai, la dette est confiée au comptable public pour recouvrement.",
    )

    reminder_before_days = _count_field(
        "Rappel avant échéance (jours)",
        maximum=60,
        help_text="Un email rappelle la facture à régler ce nombre de jours avant son échéance. "
        "0 : pas de rappel.",
    )
    reminder_after_days = _count_field(
        "Relance après échéance (jours)",
        maximum=365,
        help_text="Un email relance la facture restée impayée ce nombre de jours après son "
        "échéance. 0 : pas de relance.",
    )

    class Meta:
        model = BillingSettings
        fields = [
            "due_days",
            "online_payment_grace_days",
            "reminder_before_days",
            "reminder_after_days",
            "treasury_name",
            "appeal_text",
        ]
        widgets = {"appeal_text": forms.Textarea(attrs={"rows": 6})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["treasury_name"].label = "Comptable public"
        self.fields["appeal_text"].help_text = "Imprimé sur les factures et leurs duplicatas."


class SequenceForm(Form):
    year = _year_field()
    first_value = forms.IntegerField(
        label="Premier numéro de l'année",
        min_value=1,
        max_value=FIRST_VALUE_MAX,
        help_text="Les 6 derniers chiffres du numéro de la première facture : 69928 donne 069928.",
        error_messages={
            "required": "Indiquez le premier numéro.",
            "invalid": "Saisissez un nombre entier.",
            "min_value": f"Saisissez un numéro entre 1 et {FIRST_VALUE_MAX}.",
            "max_value": f"Saisissez un numéro entre 1 et {FIRST_VALUE_MAX}.",
        },
    )


PERIODS = [("annee", "Année"), ("s1", "1er semestre"), ("s2", "2e semestre")]
HALVES = {"annee": None, "s1": 1, "s2": 2}


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def _date_field(label: str, **kwargs) -> forms.DateField:
    return forms.DateField(
        label=label,
        widget=DateInput,
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        error_messages={
            "required": "Indiquez la date.",
            "invalid": "Saisissez une date valide, par exemple 02/07/2023.",
        },
        **kwargs,
    )


class RunForm(Form):
    kind = forms.ChoiceField(
        label="Type de facturation",
        choices=RunKind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choisissez : facture à blanc ou facturation réelle."},
    )
    year = _year_field()
    period = forms.ChoiceField(
        label="Période",
        choices=PERIODS,
        error_messages={
            "required": "Choisissez la période.",
            "invalid_choice": "Période inconnue.",
        },
    )
    issued_on = _date_field("Date des factures")
    due_on = _date_field(
        "Date d'échéance",
        required=False,
        help_text="Facultatif : la date des factures plus le délai de paiement des réglages.",
    )
    confirm = forms.BooleanField(
        label=(
            "Je confirme la facturation réelle : les factures seront numérotées et publiées "
            "aux usagers, qui les verront dans leur espace et en seront avertis par email."
        ),
        required=False,
    )
    # The period's last day the agent confirmed billing before it is over (« Confirmer la
    # facturation réelle »): a confirmation holds for that period only.
    unfinished_confirmed = forms.DateField(required=False, widget=forms.HiddenInput)

    def clean(self):
        data = super().clean()
        if data.get("kind") == RunKind.REAL and not data.get("confirm"):
            self.add_error(
                "confirm",
                "Cochez la confirmation pour lancer une facturation réelle : ses factures sont "
                "numérotées et publiées aux usagers.",
            )
        issued, due = data.get("issued_on"), data.get("due_on")
        if issued and due and due < issued:
            self.add_error("due_on", "L'échéance ne peut pas précéder la date des factures.")
        return data

    def half(self) -> int | None:
        return HALVES[self.cleaned_data["period"]]

    def period_end(self):
        return period_of(year=self.cleaned_data["year"], half=self.half())[1]


class PaymentsExportForm(Form):
    start = _date_field("Du")
    end = _date_field("Au (inclus)")

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", "La date de fin ne peut pas précéder la date de début.")
        return data
