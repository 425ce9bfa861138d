"""Access helpers of the resident's space: an account is reached only through the
person's own links (AccountAccess), filtered by authority; anything else is a 404.

An agent acting on a resident's behalf (`on_behalf.py`) reaches exactly the account his
session's marker names, and none of his own: the same helpers serve him."""

from django.http import Http404

from levee.accounts.models import AccountAccess
from levee.agents.on_behalf import OnBehalfEnded
from levee.authorities.selectors import authority_get_by_slug

from .on_behalf import on_behalf_of
from .selectors import space_accounts_for_user

SESSION_KEY = "space_account"


def accesses_of(request) -> list:
    """Every account the logged-in person reaches, read once per request: the access
    helper and the account selector of the header share it. Raises OnBehalfEnded when the
    session acted for a resident and may no longer."""
    if not hasattr(request, "_space_accesses"):
        acting = on_behalf_of(request)
        if acting is not None:
            # Not saved: it stands for the counter's access, which no login holds.
            request._space_accesses = [
                AccountAccess(account=acting.account, authority=acting.authority)
            ]
        else:
            request._space_accesses = space_accounts_for_user(request.user)
    return request._space_accesses


def space_authority(request, slug: str):
    """The active authority at /<slug>/, as `authority_get_by_slug` gives it (404 when
    unknown or inactive), taken without a query from the person's accesses (read by every
    page of the space anyway) when one of them is of that authority."""
    try:
        accesses = accesses_of(request)
    except OnBehalfEnded:
        accesses = []  # the page answers as before: 404 for a wrong slug, else « ended »
    for access in accesses:
        if access.authority.slug == slug and access.authority.is_active:
            return access.authority
    return authority_get_by_slug(slug)


def get_account_for_user(request, authority, account_pk=None):
    """The account of `authority` the logged-in person looks at: the one asked for (if his),
    else the one kept in the session, else his first; 404 when he has none there."""
    accesses = [a for a in accesses_of(request) if a.authority_id == authority.pk]
    if not accesses:
        raise Http404
    by_pk = {a.account_id: a.account for a in accesses}
    if account_pk is not None:
        if account_pk not in by_pk:
            raise Http404
        chosen = by_pk[account_pk]
    else:
        remembered = request.session.get(SESSION_KEY, {}).get(str(authority.pk))
        chosen = by_pk.get(remembered) or accesses[0].account
    if chosen.authority_id == authority.pk:
        chosen.authority = authority  # read already: no query when a page reaches it
    if on_behalf_of(request) is not None:
        return chosen  # the agent's own choice of account stays as he left it
    selected = dict(request.session.get(SESSION_KEY, {}))
    if selected.get(str(authority.pk)) != chosen.pk:
        selected[str(authority.pk)] = chosen.pk
        request.session[SESSION_KEY] = selected
    return chosen
