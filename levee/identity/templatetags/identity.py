from django import template

from .. import oidc, selectors
from ..models import Provider

register = template.Library()


@register.simple_tag
def franceconnect_enabled() -> bool:
    """« S'identifier avec FranceConnect » is offered (the provider or its imitation is set)."""
    return oidc.is_enabled(Provider.FRANCECONNECT)


@register.simple_tag
def proconnect_enabled() -> bool:
    return oidc.is_enabled(Provider.PROCONNECT)


@register.simple_tag
def identity_simulated(name: str) -> bool:
    config = oidc.provider_config(name)
    return bool(config and config.simulated)


@register.simple_tag
def franceconnect_link_of(user):
    """The login's FranceConnect link (« Mon profil »), or None."""
    return selectors.franceconnect_link_of(user)


@register.simple_tag
def proconnect_required(authority) -> bool:
    return selectors.proconnect_required(authority)
