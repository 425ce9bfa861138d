"""Reads of the State identities: which login an identity reaches, a login's links, whether
an authority requires ProConnect of its agents."""

from django.db.models import QuerySet

from .models import IdentityLink, ProConnectPolicy, Provider


def link_for_identity(*, provider: str, sub: str) -> IdentityLink | None:
    return (
        IdentityLink.objects.filter(provider=provider, subject=sub).select_related("user").first()
    )


def links_of_user(user) -> QuerySet[IdentityLink]:
    return IdentityLink.objects.filter(user=user).order_by("provider")


def franceconnect_link_of(user) -> IdentityLink | None:
    if not user.is_authenticated:
        return None
    return IdentityLink.objects.filter(user=user, provider=Provider.FRANCECONNECT).first()


def proconnect_required(authority) -> bool:
    return ProConnectPolicy.objects.filter(authority=authority, required=True).exists()


def proconnect_required_for_agent_login(user) -> bool:
    """One of the login's active agents works for an authority that requires ProConnect:
    his password alone no longer opens the back office."""
    return ProConnectPolicy.objects.filter(
        required=True,
        authority__agents__user=user,
        authority__agents__is_active=True,
        authority__is_active=True,
    ).exists()
