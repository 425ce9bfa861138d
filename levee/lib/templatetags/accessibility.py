from django import template

from levee.lib.accessibility import NONE, accessibility_audit

register = template.Library()


@register.simple_tag
def accessibility_state() -> str:
    """« partiellement conforme »…: the footer's « Accessibilité : … », from the audit;
    without a readable audit, « non conforme » as RGAA says (the error pages use it too)."""
    try:
        return accessibility_audit().state
    except (OSError, ValueError, KeyError, TypeError):
        return NONE
