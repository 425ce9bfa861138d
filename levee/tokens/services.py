"""Creating, revoking and checking personal access tokens."""

import datetime
import hashlib
import secrets
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .models import PersonalAccessToken, TokenScope

# Every secret starts with this, so that a leaked one is recognised by secret scanners
# and by its owner.
SECRET_PREFIX = "levee_"
# How many characters of the secret « Mon profil » shows.
SHOWN_CHARACTERS = 12
# A token's last use is written at most this often: an API client polling every second
# would otherwise write its row on every call.
LAST_USED_EVERY = datetime.timedelta(minutes=1)


@dataclass(frozen=True)
class CreatedToken:
    token: PersonalAccessToken
    # The secret, to be shown once and never kept.
    secret: str


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def token_create(*, user, name: str, expires_at: datetime.datetime | None = None) -> CreatedToken:
    """A new read-only token for `user` (« Créer le jeton »); its secret is returned here
    only."""
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    token = PersonalAccessToken.objects.create(
        user=user,
        name=name.strip(),
        prefix=secret[:SHOWN_CHARACTERS],
        digest=_digest(secret),
        scope=TokenScope.READ,
        expires_at=expires_at,
    )
    return CreatedToken(token=token, secret=secret)


@transaction.atomic
def token_revoke(*, user, token_id: int) -> bool:
    """Revokes one of `user`'s tokens (« Révoquer »): from then on every call with it is
    refused. False when it was not his, or revoked already (nothing changes)."""
    return bool(
        PersonalAccessToken.objects.filter(pk=token_id, user=user, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
    )


def token_authenticate(secret: str, *, now: datetime.datetime | None = None):
    """The usable token whose secret this is (not revoked, not expired, its login active),
    with its user; None otherwise. Writes its last use, at most once a minute."""
    if not secret or not secret.startswith(SECRET_PREFIX) or len(secret) > 100:
        return None
    now = now or timezone.now()
    token = (
        PersonalAccessToken.objects.select_related("user").filter(digest=_digest(secret)).first()
    )
    if token is None or not token.is_usable(now) or not token.user.is_active:
        return None
    if token.last_used_at is None or token.last_used_at <= now - LAST_USED_EVERY:
        # Conditional, so that two calls of the same minute write once.
        PersonalAccessToken.objects.filter(pk=token.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - LAST_USED_EVERY)
        ).update(last_used_at=now)
        token.last_used_at = now
    return token
