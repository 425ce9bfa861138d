from django.db.models import QuerySet

from .models import PersonalAccessToken


def tokens_for_user(user) -> QuerySet[PersonalAccessToken]:
    """The login's tokens not revoked, newest first (« Mon profil »): an expired one stays
    listed, with its expiry, until its owner revokes it."""
    return PersonalAccessToken.objects.filter(user=user, revoked_at__isnull=True).order_by(
        "-created_at", "-pk"
    )
