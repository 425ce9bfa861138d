from django import template

from levee.billing.pricing import percent_text

register = template.Library()


@register.filter
def percent(bp: int | None) -> str:
    """A VAT rate in basis points as French read it: 550 → « 5,5 % », 0 → « 0 % »."""
    if bp is None or bp == "":
        return ""
    return f"{percent_text(int(bp))}\u00a0%"
