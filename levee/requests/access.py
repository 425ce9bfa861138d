"""Access helpers of the demandes: a resident reaches only the requests of the accounts he
holds in this authority (and those his login made without an account), an agent only his
authority's, a newcomer only the one of his signed link; anything else is a 404."""

from django.db.models import Q
from django.shortcuts import get_object_or_404

from levee.space.access import accesses_of
from levee.space.on_behalf import on_behalf_of

from .models import RequestMessage, ServiceRequest


def own_requests_filter(request, authority) -> Q:
    """The requests a person reaches in the space of `authority`: those of the accounts he
    holds there, and those his login made without an account (a clé d'activation asked to
    another authority, whose account he does not hold yet) — not while an agent acts on
    someone's behalf, whose login is not the resident's."""
    account_ids = [a.account_id for a in accesses_of(request) if a.authority_id == authority.pk]
    own = Q(authority=authority, account_id__in=account_ids)
    login = login_requests_filter(request)
    return own | login if login is not None else own


def login_requests_filter(request) -> Q | None:
    """The requests the login made without an account, in any authority (None while an
    agent acts on someone's behalf)."""
    if on_behalf_of(request) is not None:
        return None
    return Q(account__isnull=True, requested_by=request.user)


def get_request_for_user(request, authority, pk: int) -> ServiceRequest:
    return get_object_or_404(
        ServiceRequest.objects.filter(own_requests_filter(request, authority)).select_related(
            "authority", "account", "requested_by", "made_by_agent"
        ),
        pk=pk,
    )


def get_login_request_for_user(request, pk: int) -> ServiceRequest:
    """A request the login made without an account (the link of its emails), in whichever
    authority; the page then opens it in a space the login has."""
    return get_object_or_404(
        ServiceRequest.objects.filter(account__isnull=True, requested_by=request.user).only(
            "authority"
        ),
        pk=pk,
    )


def get_request_for_agent(request, pk: int) -> ServiceRequest:
    service_request = get_object_or_404(
        ServiceRequest.objects.filter(authority=request.agent.authority).select_related(
            "account", "requested_by", "made_by_agent", "decided_by", "commune"
        ),
        pk=pk,
    )
    service_request.authority = request.agent.authority
    return service_request


def get_attachment(service_request: ServiceRequest, message_pk: int) -> RequestMessage:
    """A message of this request (already reached through one of the helpers above) that
    carries an attachment."""
    return get_object_or_404(
        RequestMessage.objects.filter(
            service_request=service_request, authority_id=service_request.authority_id
        ).exclude(attachment=""),
        pk=message_pk,
    )


def get_commune_for_key_request(authority, insee: str):
    """The commune chosen at step 1 of « Associer un autre compte », among those `authority`
    serves (the choice is kept in the session), else 404."""
    return get_object_or_404(authority.communes.all(), insee=insee)


def get_request_for_link(authority, pk: int) -> ServiceRequest | None:
    """The request a signed link names (the signature is the access check), if it is of this
    authority."""
    service_request = (
        ServiceRequest.objects.filter(pk=pk, authority=authority)
        .select_related("account", "requested_by")
        .first()
    )
    if service_request is not None:
        service_request.authority = authority
    return service_request


def get_move_in_for_link(authority, pk: int) -> ServiceRequest | None:
    """The « J'emménage » request of this authority a link names, if any: the caller then
    checks the link's signature against the request's address (the access check)."""
    return (
        ServiceRequest.objects.filter(
            pk=pk, authority=authority, kind="move_in", requested_by__isnull=True
        )
        .select_related("authority", "account")
        .first()
    )
