"""Access helpers of the demandes: a resident reaches only the requests of the accounts he
holds in this authority, an agent only his authority's; anything else is a 404."""

from django.http import Http404

from levee.space.access import accesses_of

from .models import RequestMessage, ServiceRequest


def get_request_for_user(request, authority, pk: int) -> ServiceRequest:
    account_ids = [a.account_id for a in accesses_of(request) if a.authority_id == authority.pk]
    service_request = (
        ServiceRequest.objects.filter(pk=pk, authority=authority, account_id__in=account_ids)
        .select_related("account", "requested_by", "made_by_agent")
        .first()
    )
    if service_request is None:
        raise Http404
    service_request.authority = authority
    return service_request


def get_request_for_agent(request, pk: int) -> ServiceRequest:
    service_request = (
        ServiceRequest.objects.filter(pk=pk, authority=request.agent.authority)
        .select_related("account", "requested_by", "made_by_agent", "decided_by", "commune")
        .first()
    )
    if service_request is None:
        raise Http404
    service_request.authority = request.agent.authority
    return service_request


def get_attachment(service_request: ServiceRequest, message_pk: int) -> RequestMessage:
    """A message of this request (already reached through one of the helpers above) that
    carries an attachment."""
    message = (
        RequestMessage.objects.filter(
            pk=message_pk,
            service_request=service_request,
            authority_id=service_request.authority_id,
        )
        .exclude(attachment="")
        .first()
    )
    if message is None:
        raise Http404
    return message


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
