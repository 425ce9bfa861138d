from django.db.models import Q

from levee.accounts.models import AccountOpeningRequest, OpeningStatus
from levee.subscribers.models import Account

from .models import Agent


def opening_requests_pending(*, authority):
    return (
        AccountOpeningRequest.objects.filter(authority=authority, status=OpeningStatus.PENDING)
        .select_related("commune", "user")
        .order_by("created_at")
    )


def account_candidates(
    *, authority, opening: AccountOpeningRequest, query: str = "", limit: int = 10
):
    """Accounts an agent may link a request to: those matching the typed text (code,
    name, street), else those with the requester's name in his commune."""
    accounts = Account.objects.filter(authority=authority).prefetch_related(
        "subscriptions__commune"
    )
    query = query.strip()[:100]
    if query:
        accounts = accounts.filter(
            Q(code__iexact=query)
            | Q(last_name__icontains=query)
            | Q(company_name__icontains=query)
            | Q(billing_street__icontains=query)
        )
    else:
        accounts = accounts.filter(
            Q(last_name__iexact=opening.last_name)
            | Q(subscriptions__commune=opening.commune, last_name__iexact=opening.last_name)
        )
    return list(accounts.distinct().order_by("code")[:limit])


def agent_active_exists(user, *, in_active_authority: bool = False) -> bool:
    """The login is an active agent (of an authority still active, if asked)."""
    agents = Agent.objects.filter(user=user, is_active=True)
    if in_active_authority:
        agents = agents.filter(authority__is_active=True)
    return agents.exists()


def agents_of(*, authority):
    """The authority's agents, the active ones first, each with his login."""
    return (
        Agent.objects.filter(authority=authority)
        .select_related("user")
        .order_by("-is_active", "user__last_name", "user__email")
    )
