from django import template

from levee.tokens.selectors import tokens_for_user

register = template.Library()


@register.simple_tag
def access_tokens(user):
    """« Jetons d'accès personnels » of « Mon profil »: the login's live tokens."""
    return list(tokens_for_user(user))
