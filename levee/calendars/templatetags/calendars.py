import datetime

from django import template
from django.utils.dateformat import format as date_format

from levee.lib.templatetags.levee_format import day_fr

register = template.Library()


@register.filter
def jour(value: datetime.date | None, with_year: bool = True) -> str:
    """« mardi 1er décembre 2026 »: a collection day as French writes it, its weekday then
    the date as every page and email writes it (`day_fr`: 1er, not 1)."""
    if not value:
        return ""
    text = day_fr(value)
    if not with_year:
        text = text.removesuffix(f" {value.year}")
    return f"{date_format(value, 'l')} {text}"
