"""Access helpers of the back office: an agent reaches only his authority's objects."""

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from levee.accounts.models import AccountOpeningRequest
from levee.agents.models import Agent
from levee.agents.roles import AgentRole
from levee.identity.models import Provider
from levee.identity.views import SESSION_KEY as IDENTITY_SESSION_KEY
from levee.twofactor.access import second_factor_redirect

SESSION_KEY = "backoffice_authority"


SAFE_METHODS = ("GET", "HEAD", "OPTIONS")

FRANCECONNECT_REFUSED = (
    "Une session ouverte avec FranceConnect n'ouvre pas le back office : FranceConnect "
    "identifie les usagers. Connectez-vous ici avec votre adresse email et votre mot de passe "
    "d'agent, ou avec ProConnect."
)


def agent_required(*args, writes=None):
    """Puts request.agent (the login's agent in the authority he works on, with its role)
    and request.agent_roles (all his agents), or sends the visitor to the agents' login.

    - `@agent_required`: any agent of the authority, whatever his role.
    - `@agent_required(AgentRole.ACCUEIL, AgentRole.ADMINISTRATEUR)`, or a group of
      roles.py (`@agent_required(roles.AGENTS)`): only those roles, whatever the method.
    - `@agent_required(writes=roles.CALENDARS)`: every agent reads the page (GET, HEAD);
      a POST needs one of those roles.

    Another role gets the back office's 403 page, before the view runs: nothing changes.
    With TWO_FACTOR_REQUIRED, a session that has not presented its second factor is sent
    to enrol or to « Code de vérification » first, then back here.
    """
    if len(args) == 1 and callable(args[0]) and writes is None:
        return _agent_view(args[0], allowed=None, writers=None)
    allowed = _roles_of(args) if args else None
    writers = _roles_of([writes]) if writes is not None else None

    def decorator(view):
        return _agent_view(view, allowed=allowed, writers=writers)

    return decorator


def _proconnect_missing(request, authority) -> bool:
    """The authority requires ProConnect of its agents and this session was not opened with
    it (a password at the residents' login, or a session older than the requirement)."""
    try:
        required = authority.proconnect_policy.required
    except ObjectDoesNotExist:
        return False
    opened = request.session.get(IDENTITY_SESSION_KEY) or {}
    return required and opened.get("provider") != Provider.PROCONNECT


def _roles_of(items) -> frozenset:
    roles = set()
    for item in items:
        roles.update([item] if isinstance(item, str) else item)
    unknown = roles - set(AgentRole.values)
    if unknown or not roles:
        raise ValueError(f"unknown agent roles: {sorted(unknown) or 'none given'}")
    return frozenset(AgentRole(r) for r in roles)


def _agent_view(view, *, allowed, writers):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect(f"{reverse('backoffice:login')}?next={request.path}")
        opened = request.session.get(IDENTITY_SESSION_KEY) or {}
        if opened.get("provider") == Provider.FRANCECONNECT:
            # A resident's identity, even linked to a login that is also an agent's: only
            # his password (and its second factor) or ProConnect open the back office.
            messages.error(request, FRANCECONNECT_REFUSED)
            return redirect(f"{reverse('backoffice:login')}?next={request.path}")
        agents = list(
            Agent.objects.filter(user=request.user, is_active=True, authority__is_active=True)
            # The authority's « Exiger ProConnect », read in the same query.
            .select_related("authority", "authority__proconnect_policy")
            .order_by("authority__name")
        )
        if not agents:
            return redirect(f"{reverse('backoffice:login')}?next={request.path}")
        wanted = request.session.get(SESSION_KEY)
        current = next((a for a in agents if a.authority_id == wanted), agents[0])
        if _proconnect_missing(request, current.authority):
            return render(request, "identity/proconnect_required.html", status=403)
        if settings.TWO_FACTOR_REQUIRED:
            asked = second_factor_redirect(request, request.get_full_path())
            if asked is not None:
                return asked
        request.agent = current
        request.agent_roles = agents
        needed = allowed
        if writers is not None and request.method not in SAFE_METHODS:
            needed = writers
        if needed is not None and request.agent.role not in needed:
            return role_refused(request, needed)
        return view(request, *args, **kwargs)

    return wrapper


def role_refused(request, roles) -> HttpResponse:
    """The back office's 403 page: which roles may do what was asked."""
    names = [label for value, label in AgentRole.choices if value in roles]
    return render(
        request,
        "backoffice/forbidden.html",
        {"role": request.agent.get_role_display(), "roles": names},
        status=403,
    )


def get_opening_request_for_agent(request, pk: int) -> AccountOpeningRequest:
    return get_object_or_404(
        AccountOpeningRequest.objects.filter(authority=request.agent.authority).select_related(
            "user", "commune", "account", "decided_by"
        ),
        pk=pk,
    )


def get_account_for_agent(request, pk: int):
    from levee.subscribers.models import Account

    return get_object_or_404(Account.objects.filter(authority=request.agent.authority), pk=pk)


def get_account_access_for_agent(request, account, pk: int):
    """A login's access to `account` (already reached through get_account_for_agent)."""
    from levee.accounts.models import AccountAccess

    return get_object_or_404(
        AccountAccess.objects.filter(
            account=account, authority=request.agent.authority
        ).select_related("user"),
        pk=pk,
    )


def get_subscription_for_agent(request, account, pk: int):
    """One of `account`'s subscriptions (the account reached through get_account_for_agent)."""
    from levee.subscribers.models import Subscription

    return get_object_or_404(
        Subscription.objects.filter(account=account, authority=request.agent.authority), pk=pk
    )


def get_bin_for_agent(request, account, pk: int):
    """One of `account`'s bins, with its subscription (the account reached through
    get_account_for_agent)."""
    from levee.collection.models import Bin

    return get_object_or_404(
        Bin.objects.filter(account=account, authority=request.agent.authority).select_related(
            "subscription__commune"
        ),
        pk=pk,
    )


def account_candidate_for_agent(request, pk: int) -> list:
    """The account of the agent's authority with this id, as a list (empty when there is
    none): one he searched for on the request's page, offered beside the candidates."""
    from levee.subscribers.models import Account

    return list(Account.objects.filter(authority=request.agent.authority, pk=pk))


def get_import_batch_for_agent(request, pk: int):
    from levee.collection.models import ImportBatch

    return get_object_or_404(
        ImportBatch.objects.filter(authority=request.agent.authority).select_related("created_by"),
        pk=pk,
    )


def get_authority_agent(request, pk: int) -> Agent:
    """An agent of the requesting agent's authority (the « Agents » page), else 404."""
    return get_object_or_404(
        Agent.objects.filter(authority=request.agent.authority).select_related("authority", "user"),
        pk=pk,
    )


def account_by_code_for_agent(request, code: str):
    """The account of the agent's authority with this code usager, or None (a filter)."""
    from levee.subscribers.models import Account

    return Account.objects.filter(authority=request.agent.authority, code=code.strip()).first()
