"""Reads of the second factor: who must present one, who has one."""

from django.db.models import Exists, OuterRef
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from levee.accounts.models import User

from .models import SpaceSecondFactor


def device_confirmed_exists(user: User) -> bool:
    """The login has an authenticator app set up (a confirmed TOTP device)."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def is_operator(user: User) -> bool:
    return user.is_active and (user.is_staff or user.is_superuser)


def is_agent(user: User) -> bool:
    from levee.agents.models import Agent

    return Agent.objects.filter(user=user, is_active=True, authority__is_active=True).exists()


def space_protected(user: User) -> bool:
    """The resident turned the second factor on for his space (« Mon profil »)."""
    return SpaceSecondFactor.objects.filter(user=user).exists()


def with_second_factor(queryset):
    """Rows with a `user` (agents…) annotated `has_second_factor`: their login has a
    confirmed authenticator app (in the same query)."""
    return queryset.annotate(
        has_second_factor=Exists(
            TOTPDevice.objects.filter(user_id=OuterRef("user_id"), confirmed=True)
        )
    )


def recovery_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()
