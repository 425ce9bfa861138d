"""The query parameters of the Ecocito-compatible endpoints, checked before anything is
read: a wrong one is answered 400 with its French message, never a 500."""

import datetime
import json

from django import forms
from django.utils import timezone

from levee.collection.models import Flux

# Ecocito numbers its « matières » differently in every authority; Levée gives each flux one
# number, the same on every authority and for ever (a client keeps its settings when it
# moves). 3 is left out: Ecocito's portals number the « déchets verts » there, which no
# Levée flux is. README « Compatibilité Ecocito » lists them.
ID_MATIERE = {
    Flux.ORDURES_MENAGERES: 1,
    Flux.RECYCLABLES: 2,
    Flux.BIODECHETS: 4,
    Flux.VERRE: 5,
    Flux.PAPIER: 6,
}
FLUX_OF_ID = {number: flux for flux, number in ID_MATIERE.items()}
ALL_FLUX = -1
ALL_FLUX_LABEL = "Tous les types de déchets"

# The most rows one call answers (`take` above it is lowered to it): clients ask a year's
# lifts in one call (the Home Assistant integration asks 1,000).
TAKE_MAX = 1000
SKIP_MAX = 10**9
# Dates are read from year 1900 to 2100: further is a typing error, and the day after the
# last one must still be a date.
YEAR_MIN, YEAR_MAX = 1900, 2100
# A monthly statistic covers at most this many months.
MONTHS_MAX = 20 * 12

TRUE, FALSE = {"true", "1", "on", "yes"}, {"false", "0", "off", "no", ""}

DATE_FORMAT = "AAAA-MM-JJTHH:MM:SS.sssZ"


class EcocitoDateField(forms.Field):
    """`2025-01-01T00:00:00.000Z` (or `2025-01-01`): the day written counts, in Paris
    time; its hour and time zone are read but not used, as clients send whole days."""

    def to_python(self, value):
        if value in (None, ""):
            return None
        try:
            day = datetime.datetime.fromisoformat(value.strip()).date()
        except ValueError:
            raise forms.ValidationError(
                f"« {self.label} » n'est pas une date au format {DATE_FORMAT}."
            ) from None
        if not YEAR_MIN <= day.year <= YEAR_MAX:
            raise forms.ValidationError(
                f"« {self.label} » doit être une date entre {YEAR_MIN} et {YEAR_MAX}."
            )
        return day


class EcocitoBooleanField(forms.Field):
    def to_python(self, value):
        text = (value or "").strip().lower()
        if text in TRUE:
            return True
        if text in FALSE:
            return False
        raise forms.ValidationError(f"« {self.label} » doit valoir true ou false.")


def _integer(label: str, *, minimum: int, maximum: int | None = None) -> forms.IntegerField:
    message = f"« {label} » doit être un nombre entier"
    message += f" entre {minimum} et {maximum}." if maximum is not None else f" ≥ {minimum}."
    return forms.IntegerField(
        label=label,
        required=False,
        min_value=minimum,
        max_value=maximum,
        error_messages={k: message for k in ("invalid", "min_value", "max_value")},
    )


class PeriodForm(forms.Form):
    """`dateDebut`, `dateFin` (both days included) and `idMatiere` (-1: every flux)."""

    dateDebut = EcocitoDateField(label="dateDebut", required=False)
    dateFin = EcocitoDateField(label="dateFin", required=False)
    idMatiere = forms.IntegerField(
        label="idMatiere",
        required=False,
        error_messages={"invalid": "« idMatiere » doit être un nombre entier (-1 : tous)."},
    )

    def clean_idMatiere(self):
        number = self.cleaned_data["idMatiere"]
        if number is None or number == ALL_FLUX:
            return ALL_FLUX
        if number not in FLUX_OF_ID:
            known = ", ".join(f"{n} ({Flux(f).label})" for f, n in ID_MATIERE.items())
            raise forms.ValidationError(
                f"« idMatiere » {number} ne désigne aucun type de déchets : -1 (tous), {known}."
            )
        return number

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("dateDebut"), cleaned.get("dateFin")
        if start and end and start > end:
            raise forms.ValidationError("« dateDebut » doit précéder « dateFin ».")
        return cleaned

    @property
    def flux(self) -> str | None:
        number = self.cleaned_data["idMatiere"]
        return None if number == ALL_FLUX else FLUX_OF_ID[number]


class ListForm(PeriodForm):
    """The parameters of GetCollecte and GetApport: a page (`skip`, `take`), whether to
    count (`requireTotalCount`), and the order (`sort`, a JSON list of {selector, desc})."""

    skip = _integer("skip", minimum=0, maximum=SKIP_MAX)
    take = _integer("take", minimum=0)
    requireTotalCount = EcocitoBooleanField(label="requireTotalCount", required=False)
    charger = EcocitoBooleanField(label="charger", required=False)  # sent by clients; no effect
    sort = forms.CharField(label="sort", required=False, strip=True)

    def __init__(self, *args, sortable: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        self.sortable = sortable

    def clean_skip(self):
        return self.cleaned_data["skip"] or 0

    def clean_take(self):
        take = self.cleaned_data["take"]
        return TAKE_MAX if take is None else min(take, TAKE_MAX)

    def clean_sort(self):
        """The ORM's order for `sort`: newest first when none is asked."""
        text = self.cleaned_data["sort"]
        default = ["-" + self.sortable["DATE_DONNEE"], "-pk"]
        if not text:
            return default
        try:
            asked = json.loads(text)
        except ValueError:
            asked = None
        if isinstance(asked, dict):
            asked = [asked]
        names = ", ".join(self.sortable)
        wrong = forms.ValidationError(
            f'« sort » doit être une liste JSON comme [{{"selector":"DATE_DONNEE","desc":false}}]'
            f" ; champs possibles : {names}."
        )
        if not isinstance(asked, list) or len(asked) > len(self.sortable):
            raise wrong
        order = []
        for item in asked:
            if not isinstance(item, dict) or item.get("selector") not in self.sortable:
                raise wrong
            desc = item.get("desc", False)
            if not isinstance(desc, bool):
                raise wrong
            order.append(("-" if desc else "") + self.sortable[item["selector"]])
        if not order:
            return default
        return [*order, "-pk" if order[0].startswith("-") else "pk"]


class MonthlyForm(PeriodForm):
    """The monthly statistics: the months from dateDebut to dateFin (this year when
    neither is given), at most MONTHS_MAX."""

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        start, end = cleaned.get("dateDebut"), cleaned.get("dateFin")
        today = timezone.localdate()
        if start is None and end is None:
            start, end = datetime.date(today.year, 1, 1), datetime.date(today.year, 12, 31)
        elif start is None:
            start = datetime.date(end.year, 1, 1)
        elif end is None:
            end = datetime.date(start.year, 12, 31)
        if (end.year - start.year) * 12 + end.month - start.month >= MONTHS_MAX:
            raise forms.ValidationError(
                f"La période demandée dépasse {MONTHS_MAX} mois : réduisez-la."
            )
        cleaned["dateDebut"], cleaned["dateFin"] = start, end
        return cleaned
