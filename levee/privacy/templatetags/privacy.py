"""What the « Mon profil » section of levee.privacy shows, read where it is included (the
profile page belongs to the space, which knows nothing of this app)."""

from django import template

from ..selectors import connections_last, retention_periods

register = template.Library()


@register.simple_tag
def last_connections(user):
    return connections_last(user)


@register.simple_tag
def retention():
    return retention_periods()
