"""The agents' forms of the calendars. A rule that gives no collection date is refused
here, with the reason, before anything is saved."""

import datetime

from django import forms

from levee.authorities.models import Authority, Commune
from levee.collection.models import Flux
from levee.lib.forms import Form

from .models import CollectionSchedule, Sector
from .public_holidays import public_holidays
from .rules import (
    SHIFT_MARGIN,
    Change,
    ChangeKind,
    HolidayPolicy,
    Ordinal,
    Rule,
    RuleKind,
    Weekday,
    check_window,
    collection_dates,
    occurrences,
)


def date_field(label: str, *, required: bool = True, help_text: str = "") -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        help_text=help_text,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "Saisissez une date valide (jj/mm/aaaa)."},
    )


class CommuneChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class SectorChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.commune.name} — {obj.name}"


def _served_communes(authority: Authority):
    # The folded name: « Éecke » among the E, not after « Zuytpeene ».
    return Commune.objects.filter(authorities=authority).order_by("search_name", "insee")


class ScheduleForm(Form):
    """A collection rule: where, which flux, which days, from when to when."""

    commune = CommuneChoiceField(
        label="Commune", queryset=Commune.objects.none(), empty_label="Choisissez la commune"
    )
    sector = SectorChoiceField(
        label="Secteur",
        queryset=Sector.objects.none(),
        required=False,
        empty_label="Toute la commune",
        help_text="Laissez « Toute la commune » si la commune n'est pas découpée en secteurs.",
    )
    flux = forms.ChoiceField(label="Flux", choices=Flux.choices)
    kind = forms.ChoiceField(label="Fréquence", choices=RuleKind.choices)
    weekday = forms.TypedChoiceField(label="Jour de collecte", choices=Weekday.choices, coerce=int)
    reference_date = date_field(
        "Date d'une collecte (une semaine sur deux)",
        required=False,
        help_text="Un jour de collecte de cette règle, par exemple le premier de l'année : "
        "les collectes ont lieu toutes les deux semaines à compter de celle-ci, d'une année "
        "sur l'autre (y compris après une année de 53 semaines).",
    )
    ordinal = forms.TypedChoiceField(
        label="Semaine du mois (une fois par mois)",
        choices=[("", "Sans objet"), *Ordinal.choices],
        coerce=int,
        empty_value=None,
        required=False,
        help_text="Par exemple « Premier » et « Lundi » : le premier lundi du mois.",
    )
    valid_from = date_field("Valable à partir du")
    valid_until = date_field(
        "Valable jusqu'au", required=False, help_text="Laissez vide si la règle n'a pas de fin."
    )

    def __init__(self, *args, authority: Authority, policy: str, schedule=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.authority = authority
        self.policy = policy
        self.schedule = schedule
        self.fields["commune"].queryset = _served_communes(authority)
        self.fields["sector"].queryset = (
            Sector.objects.filter(authority=authority)
            .select_related("commune")
            .order_by("commune__search_name", "name")
        )

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind")
        if kind == RuleKind.BIWEEKLY:
            reference, weekday = cleaned.get("reference_date"), cleaned.get("weekday")
            if reference is None:
                if "reference_date" not in self.errors:
                    self.add_error(
                        "reference_date",
                        "Une semaine sur deux : indiquez la date d'une collecte, à partir de "
                        "laquelle les semaines sont comptées.",
                    )
            elif weekday is not None and reference.weekday() != weekday:
                self.add_error(
                    "reference_date",
                    f"Le {reference:%d/%m/%Y} est un {Weekday(reference.weekday()).label.lower()} : "
                    f"indiquez un {Weekday(weekday).label.lower()}, le jour de collecte choisi.",
                )
        else:
            cleaned["reference_date"] = None
        if kind == RuleKind.MONTHLY:
            if cleaned.get("ordinal") is None:
                self.add_error(
                    "ordinal",
                    "Une fois par mois : choisissez la semaine du mois (premier… dernier).",
                )
        else:
            cleaned["ordinal"] = None
        commune, sector = cleaned.get("commune"), cleaned.get("sector")
        if commune and sector and sector.commune_id != commune.pk:
            self.add_error(
                "sector",
                f"Ce secteur est à {sector.commune.name} : choisissez un secteur de "
                f"{commune.name}, ou « Toute la commune ».",
            )
        start, end = cleaned.get("valid_from"), cleaned.get("valid_until")
        if start and end and end < start:
            self.add_error("valid_until", "La fin de validité doit suivre son début.")
        if not self.errors and commune is not None:
            self._check_produces_dates(cleaned, commune)
        return cleaned

    def _check_produces_dates(self, cleaned, commune: Commune) -> None:
        rule = Rule(
            kind=cleaned["kind"],
            weekday=cleaned["weekday"],
            valid_from=cleaned["valid_from"],
            valid_until=cleaned.get("valid_until"),
            reference=cleaned["reference_date"],
            ordinal=cleaned["ordinal"],
        )
        start, end = check_window(rule)
        changes = {}
        if self.schedule is not None:
            changes = {
                e.date: Change(e.kind, e.moved_to, e.reason)
                for e in self.schedule.exceptions.filter(authority=self.authority)
            }
        holidays = public_holidays(commune.department, start, end)
        if not collection_dates(
            rule, start, end, holidays=holidays, policy=self.policy, changes=changes
        ):
            until = (
                f"du {start:%d/%m/%Y} au {end:%d/%m/%Y}"
                if rule.valid_until
                else f"dans l'année qui suit le {start:%d/%m/%Y}"
            )
            raise forms.ValidationError(
                f"Cette règle ne donne aucune date de collecte {until} "
                f"({rule.describe().lower()}). Vérifiez le jour, la semaine et la période "
                "de validité.",
                code="no_date",
            )

    def service_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.fields}

    @classmethod
    def initial_from(cls, schedule: CollectionSchedule) -> dict:
        return {
            "commune": schedule.commune_id,
            "sector": schedule.sector_id,
            "flux": schedule.flux,
            "kind": schedule.kind,
            "weekday": schedule.weekday,
            "reference_date": schedule.reference_date,
            "ordinal": schedule.ordinal,
            "valid_from": schedule.valid_from,
            "valid_until": schedule.valid_until,
        }


class ExceptionForm(Form):
    """A one-off change: the collection of a date is cancelled, or moved to another."""

    date = date_field(
        "Date de la collecte concernée",
        help_text="Un jour de collecte de ce calendrier (celui de la règle, ou celui où un jour "
        "férié la reporte).",
    )
    kind = forms.ChoiceField(
        label="Changement", choices=ChangeKind.choices, widget=forms.RadioSelect
    )
    moved_to = date_field("Nouvelle date (collecte déplacée)", required=False)
    reason = forms.CharField(
        label="Motif affiché aux usagers",
        max_length=120,
        required=False,
        help_text="Par exemple « Braderie » ou « Intempéries ».",
    )

    def __init__(self, *args, schedule: CollectionSchedule, policy: str, **kwargs):
        super().__init__(*args, prefix="exception", **kwargs)
        self.schedule = schedule
        self.policy = policy

    def clean(self):
        cleaned = super().clean()
        day, kind, moved_to = cleaned.get("date"), cleaned.get("kind"), cleaned.get("moved_to")
        if kind == ChangeKind.MOVED:
            if moved_to is None:
                self.add_error("moved_to", "Indiquez la nouvelle date de la collecte.")
            elif day and moved_to == day:
                self.add_error("moved_to", "La nouvelle date doit différer de la date prévue.")
        else:
            cleaned["moved_to"] = None
        if day is not None and "date" not in self.errors:
            nominal = self._nominal_for(day)
            if nominal is None:
                self.add_error(
                    "date",
                    f"Aucune collecte de ce calendrier n'est prévue le {day:%d/%m/%Y} "
                    f"({self.schedule.rule.describe().lower()}).",
                )
            else:
                cleaned["date"] = nominal
        return cleaned

    def _nominal_for(self, day: datetime.date) -> datetime.date | None:
        """The rule's date of the collection the agent means: the day itself, or the day a
        public holiday moved it to."""
        rule = self.schedule.rule
        holidays = public_holidays(self.schedule.commune.department, day, day)
        around = occurrences(
            rule, day - SHIFT_MARGIN, day + SHIFT_MARGIN, holidays=holidays, policy=self.policy
        )
        for o in around:
            if o.nominal == day:
                return day
        for o in around:
            if o.date == day:
                return o.nominal
        return None

    def service_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in ("date", "kind", "moved_to", "reason")}


class SectorForm(Form):
    commune = CommuneChoiceField(
        label="Commune", queryset=Commune.objects.none(), empty_label="Choisissez la commune"
    )
    name = forms.CharField(label="Nom du secteur", max_length=100)
    streets = forms.CharField(
        label="Rues du secteur",
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="Une rue par ligne, comme dans les adresses des abonnés (« rue de la Gare »). "
        "Majuscules, accents et espaces ne comptent pas.",
    )

    def __init__(self, *args, authority: Authority, sector: Sector | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.authority = authority
        self.sector = sector
        self.fields["commune"].queryset = _served_communes(authority)

    def clean_name(self):
        return " ".join(self.cleaned_data["name"].split())

    def clean_streets(self):
        lines = [" ".join(line.split()) for line in self.cleaned_data["streets"].splitlines()]
        lines = [line for line in lines if line]
        if not lines:
            raise forms.ValidationError("Indiquez au moins une rue.")
        return "\n".join(lines)

    def clean(self):
        cleaned = super().clean()
        commune, name = cleaned.get("commune"), cleaned.get("name")
        if commune and name:
            same = Sector.objects.filter(authority=self.authority, commune=commune, name=name)
            if self.sector is not None:
                same = same.exclude(pk=self.sector.pk)
            if same.exists():
                self.add_error("name", f"{commune.name} a déjà un secteur de ce nom.")
        if self.sector is not None and commune and commune.pk != self.sector.commune_id:
            if self.sector.schedules.filter(authority=self.authority).exists():
                self.add_error(
                    "commune",
                    "Ce secteur a des calendriers : il ne peut pas changer de commune.",
                )
        return cleaned


class HolidayPolicyForm(Form):
    holiday_policy = forms.ChoiceField(
        label="Une collecte qui tombe un jour férié est",
        choices=HolidayPolicy.choices,
        widget=forms.RadioSelect,
        help_text="Le report saute les dimanches et les jours fériés qui suivent. Une exception "
        "saisie sur une date l'emporte sur cette règle.",
    )


class ReminderForm(Form):
    """« Rappels par email »: which flux, and which emails (the evening before, a change)."""

    fluxes = forms.MultipleChoiceField(
        label="Les collectes de",
        choices=Flux.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    on_eve = forms.BooleanField(
        label="Un email la veille de chaque collecte (en fin d'après-midi)", required=False
    )
    on_change = forms.BooleanField(
        label="Un email quand un jour de collecte change (jour férié, collecte déplacée ou "
        "annulée)",
        required=False,
    )

    def __init__(self, *args, fluxes: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["fluxes"].choices = [(f, Flux(f).label) for f in fluxes]

    def clean(self):
        cleaned = super().clean()
        wants = cleaned.get("on_eve") or cleaned.get("on_change")
        if wants and not cleaned.get("fluxes"):
            self.add_error("fluxes", "Cochez au moins une collecte dont être prévenu.")
        return cleaned

    @classmethod
    def initial_from(cls, reminder) -> dict:
        if reminder is None:
            return {}
        return {
            "fluxes": reminder.fluxes,
            "on_eve": reminder.on_eve,
            "on_change": reminder.on_change,
        }
