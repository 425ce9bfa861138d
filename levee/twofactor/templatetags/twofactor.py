from django import template
from django.conf import settings

from ..access import is_verified
from ..selectors import space_protected

register = template.Library()


@register.simple_tag
def space_second_factor_on(user) -> bool:
    """Whether the resident turned the second factor on (« Mon profil »)."""
    return user.is_authenticated and space_protected(user)


@register.simple_tag(takes_context=True)
def second_factor_optional(context) -> bool:
    """The embedded demo lets agents in without a second factor (TWO_FACTOR_REQUIRED off)
    and this session has not presented one: the back office says production requires it."""
    request = context.get("request")
    return bool(request) and not settings.TWO_FACTOR_REQUIRED and not is_verified(request)


@register.simple_tag(takes_context=True)
def second_factor_verified(context) -> bool:
    """This session presented its second factor (no query: the session says it)."""
    request = context.get("request")
    return bool(request) and is_verified(request)
