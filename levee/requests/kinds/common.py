"""Pieces several request types share: dates as people read them, an address typed in
French postal style, the commune of the authority an address is in."""

import datetime
import re

from django import forms
from django.utils import timezone

from levee.lib.text import fold, sort_key_fr

from ..forms import collapse

SUFFIXES = [("", "—"), ("B", "B"), ("bis", "bis"), ("ter", "ter"), ("quater", "quater")]
SUFFIXES += [("A", "A"), ("C", "C"), ("D", "D")]
PROOF_HELP = "PDF, JPEG ou PNG, 5 Mo au plus."


def date_field(label: str, *, required_message: str, **kwargs) -> forms.DateField:
    """A date typed as people read it; `required_message` is the whole sentence that asks
    for it (« Indiquez la date de résiliation. »), never built from the label."""
    return forms.DateField(
        label=label,
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "required": required_message,
            "invalid": "Saisissez une date valide, par exemple 15/03/2024.",
        },
        **kwargs,
    )


def date_fr(value) -> str:
    """« 2024-03-15 » (stored) or a date → « 15/03/2024 »; anything else unchanged."""
    if isinstance(value, str):
        try:
            value = datetime.date.fromisoformat(value)
        except ValueError:
            return value
    return value.strftime("%d/%m/%Y") if isinstance(value, datetime.date) else ""


def datetime_fr(value: datetime.datetime) -> str:
    return timezone.localtime(value).strftime("%d/%m/%Y à %H:%M")


def number_field(label: str = "N°") -> forms.RegexField:
    return forms.RegexField(
        label=label,
        regex=r"^\d{1,5}$",
        required=False,
        error_messages={
            "invalid": "Le numéro ne contient que des chiffres ; choisissez bis, ter… dans « Ext. »."
        },
    )


def text_field(label: str, *, max_length: int, required=False, autocomplete="", **kwargs):
    attrs = {"autocomplete": autocomplete} if autocomplete else {}
    return forms.CharField(
        label=label,
        max_length=max_length,
        required=required,
        widget=forms.TextInput(attrs=attrs),
        **kwargs,
    )


def address_line(
    *, number="", number_suffix="", street="", complement="", postal_code="", city=""
) -> str:
    """An address on one line, in capitals (French postal style)."""
    number = " ".join(p for p in (number, number_suffix) if p)
    street = " ".join(p for p in (number, street) if p)
    town = " ".join(p for p in (postal_code, city) if p)
    return " ".join(p for p in (street, complement, town) if p).upper()


def street_values(data: dict, *, postal_code: str, city: str) -> dict:
    """The N°, Ext., Rue and Complément of a valid form, with the whole address on one line."""
    values = {name: data[name] for name in ("number", "number_suffix", "street", "complement")}
    return {
        **values,
        "address": address_line(**values, postal_code=postal_code, city=city),
    }


def authority_commune_of(authority, *, postal_code: str, city: str):
    """(the commune of the authority at this postal code and city, the names of its communes
    at this postal code): (None, []) for an address outside the authority."""
    communes = sorted(
        authority.communes.filter(postal_codes__postal_code=postal_code).distinct(),
        key=lambda c: (sort_key_fr(c.name), c.insee),
    )
    wanted = fold(city)
    found = next((c for c in communes if fold(c.name) == wanted), None)
    return found, [c.name for c in communes]


def phone_clean(value: str) -> str:
    """A French phone number typed with spaces, dots or +33 → its 10 digits, or a French
    ValidationError."""
    digits = re.sub(r"[\s.\-]", "", value or "")
    if digits.startswith("+33"):
        digits = "0" + digits[3:]
    elif digits.startswith("0033"):
        digits = "0" + digits[4:]
    if not re.fullmatch(r"0[1-9]\d{8}", digits):
        raise forms.ValidationError(
            "Saisissez un numéro à 10 chiffres, par exemple 06 12 34 56 78.", code="invalid"
        )
    return digits


def texts_collapsed(form, cleaned: dict, names, *, required=()) -> None:
    """The texts with their runs of spaces made one; a `required` one left empty is refused."""
    for name in names:
        if name not in cleaned:
            continue
        cleaned[name] = collapse(cleaned[name])
        if name in required and not cleaned[name]:
            form.add_error(name, "Ce champ est obligatoire.")
