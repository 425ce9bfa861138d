"""Access helpers of the back office: an agent reaches only his authority's objects."""

from functools import wraps

from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse

from levee.accounts.models import AccountOpeningRequest

from .models import Agent

SESSION_KEY = "backoffice_authority"


def agent_required(view):
    """Puts request.agent (with its authority) or sends the visitor to the agents' login."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect(f"{reverse('backoffice:login')}?next={request.path}")
        agents = list(
            Agent.objects.filter(user=request.user, is_active=True, authority__is_active=True)
            .select_related("authority")
            .order_by("authority__name")
        )
        if not agents:
            return redirect(f"{reverse('backoffice:login')}?next={request.path}")
        wanted = request.session.get(SESSION_KEY)
        request.agent = next((a for a in agents if a.authority_id == wanted), agents[0])
        request.agent_roles = agents
        return view(request, *args, **kwargs)

    return wrapper


def get_opening_request_for_agent(request, pk: int) -> AccountOpeningRequest:
    opening = (
        AccountOpeningRequest.objects.filter(pk=pk, authority=request.agent.authority)
        .select_related("user", "commune", "account", "decided_by")
        .first()
    )
    if opening is None:
        raise Http404
    return opening


def get_account_for_agent(request, pk: int):
    from levee.subscribers.models import Account

    account = Account.objects.filter(pk=pk, authority=request.agent.authority).first()
    if account is None:
        raise Http404
    return account


def get_import_batch_for_agent(request, pk: int):
    from levee.collection.models import ImportBatch

    batch = (
        ImportBatch.objects.filter(pk=pk, authority=request.agent.authority)
        .select_related("created_by")
        .first()
    )
    if batch is None:
        raise Http404
    return batch
