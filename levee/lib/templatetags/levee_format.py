"""French formatting of values Django's filters don't cover."""

import datetime

from django import template
from django.utils import dateformat
from django.utils.formats import number_format

from levee.lib import text

register = template.Library()


@register.filter
def duration_fr(value: datetime.timedelta | None) -> str:
    """« 35 minutes », « 5 heures », « 3,5 jours »: the unit that reads best."""
    if value is None:
        return ""
    minutes = value.total_seconds() / 60
    if minutes < 90:
        n = max(1, round(minutes))
        return f"{n} minute{'s' if n > 1 else ''}"
    hours = minutes / 60
    if hours < 48:
        n = round(hours)
        return f"{n} heures"
    return f"{number_format(round(hours / 24, 1), decimal_pos=1)} jours".replace(",0 ", " ")


@register.filter
def euros(cents: int | None) -> str:
    """Integer cents as French money: 8794 → « 87,94 € », 123456 → « 1 234,56 € »."""
    if cents is None or cents == "":
        return ""
    cents = int(cents)
    sign = "-" if cents < 0 else ""
    units, rest = divmod(abs(cents), 100)
    grouped = f"{units:,}".replace(",", "\u202f")
    return f"{sign}{grouped},{rest:02d}\u00a0€"


@register.filter
def plural_fr(count, noun: str) -> str:
    """`{{ n|plural_fr:"demande traitée" }}` → « 0 demande traitée », « 2 demandes
    traitées »; an irregular plural after a « | »: `"bac neuf|bacs neufs"`."""
    singular, _, plural = noun.partition("|")
    return text.plural_fr(int(count or 0), singular, plural or None)


@register.filter
def of_name(name: str) -> str:
    """`{{ authority.name|of_name }}` → « de la Communauté de communes… » (see
    levee.lib.text.of_name)."""
    return text.of_name(str(name or ""))


@register.filter
def day_fr(value: datetime.date | None) -> str:
    """A date the French way: « 1er juillet 2024 », « 25 août 2024 »."""
    if not value:
        return ""
    day = "1er" if value.day == 1 else str(value.day)
    return f"{day} {dateformat.format(value, 'F Y')}"
