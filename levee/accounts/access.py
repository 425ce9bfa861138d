"""Access helpers of the logins' pages: a login reaches only its own accesses to accounts;
a signed link (activation, opening request) or the session reaches the one object it names,
in the authority of the page; anything else is a 404, or the page's own answer when the
helper returns None (an invalid link says so rather than « page introuvable »)."""

from django.shortcuts import get_object_or_404

from levee.subscribers.models import Account

from .models import AccountAccess, AccountOpeningRequest, PendingSignup


def get_access_for_user(request, account_pk: int) -> AccountAccess:
    """The logged-in person's own access to this account, else 404."""
    return get_object_or_404(
        AccountAccess.objects.filter(user=request.user).select_related("account", "authority"),
        account_id=account_pk,
    )


def get_commune_for_opening(authority, insee: str, postal_code: str):
    """A commune `authority` serves, under one of its postal codes, else 404."""
    return get_object_or_404(
        authority.communes.filter(postal_codes__postal_code=postal_code), insee=insee
    )


def get_pending_signup_for_link(authority, pk: int | None) -> PendingSignup | None:
    """The sign-up an activation link names in this authority (the link's token is then
    checked against it), if any."""
    if not pk:
        return None
    return (
        PendingSignup.objects.filter(pk=pk, authority=authority).select_related("account").first()
    )


def get_pending_signup_for_session(pk: int | None) -> PendingSignup | None:
    """The sign-up the session noted at a failed login (« renvoyer le lien »), while it is
    still waiting for its activation."""
    if not pk:
        return None
    return (
        PendingSignup.objects.filter(pk=pk, used_at__isnull=True)
        .select_related("authority", "account")
        .first()
    )


def get_opening_request_for_link(authority, pk: int | None) -> AccountOpeningRequest | None:
    """The opening request a signed confirmation link names in this authority, if any."""
    if not pk:
        return None
    return (
        AccountOpeningRequest.objects.filter(pk=pk, authority=authority)
        .select_related("user", "commune")
        .first()
    )


def get_account_for_association(pk) -> Account | None:
    """The account found by its clé d'activation at the previous step of « Associer un
    autre compte » (its id kept in the session), if its authority is still active."""
    return (
        Account.objects.filter(pk=pk, authority__is_active=True).select_related("authority").first()
    )
