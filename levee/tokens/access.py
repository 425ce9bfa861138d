"""Access helper of the personal access tokens: a login reaches its own tokens only."""

from django.shortcuts import get_object_or_404

from .models import PersonalAccessToken
from .selectors import tokens_for_user


def get_token_for_user(user, pk: int) -> PersonalAccessToken:
    """One of `user`'s tokens, or 404 (another login's token is not said to exist)."""
    return get_object_or_404(tokens_for_user(user), pk=pk)
