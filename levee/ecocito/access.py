"""Who an Ecocito-compatible request speaks for: the session covers the login, the rows
cover every account of the login (at the platform's root) or that authority's accounts
(under /<slug>/). An account is reached only through the login's own links."""

from levee.authorities.selectors import authority_get_by_slug
from levee.space.selectors import space_accounts_for_user
from levee.twofactor.access import SPACE_SESSION_KEY, is_verified


def session_valid(request) -> bool:
    """A logged-in session that may read the space: one whose login protects its space
    with a second factor counts only once the code was given (through the portal)."""
    if not request.user.is_authenticated:
        return False
    return not request.session.get(SPACE_SESSION_KEY) or is_verified(request)


def ecocito_authority(slug: str | None):
    """The authority named by /<slug>/ (404 when unknown or inactive), None at the root."""
    return authority_get_by_slug(slug) if slug else None


def ecocito_accounts(request, authority=None) -> list:
    """The accounts the session reads, their authority attached (no query for it): every
    account of the login in an active authority, or those of `authority`."""
    accounts = []
    for access in space_accounts_for_user(request.user):
        if authority is not None and access.authority_id != authority.pk:
            continue
        if not access.authority.is_active:
            continue
        access.account.authority = access.authority
        accounts.append(access.account)
    return accounts
