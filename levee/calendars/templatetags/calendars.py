import datetime

from django import template
from django.utils.dateformat import format as date_format

register = template.Library()


@register.filter
def jour(value: datetime.date | None, with_year: bool = True) -> str:
    """« mardi 1er décembre 2026 »: a collection day as French writes it (1er, not 1)."""
    if not value:
        return ""
    day = "1er" if value.day == 1 else str(value.day)
    month = date_format(value, "F Y" if with_year else "F")
    return f"{date_format(value, 'l')} {day} {month}"
