"""The agents' side of the demandes: the work queue, a request's page with today's values
beside the requested ones, and the three decisions — only within the agent's authority."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from levee.agents import roles
from levee.backoffice.access import agent_required
from levee.lib.downloads import private_file_response
from levee.lib.uploads import upload_limit

from . import selectors, services
from .access import get_attachment, get_request_for_agent
from .forms import ComplementForm, QueueFilterForm, RefuseForm
from .kinds.base import ApplyRefused
from .registry import REQUEST_TYPES

PAGE_SIZE = 50
ALREADY_HANDLED = (
    "Cette demande a changé de statut entre-temps (un autre agent l'a traitée) : rien n'a été "
    "modifié. Voici son état actuel."
)


@agent_required
def queue(request):
    """The authority's requests, oldest first, filterable by type, status, commune and age."""
    authority = request.agent.authority
    form = QueueFilterForm(
        request.GET, types=REQUEST_TYPES, communes=selectors.communes_with_requests(authority)
    )
    found = selectors.queue_for_agent(
        authority=authority, filters=form.filters(), today=timezone.localdate()
    )
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "requests/backoffice/queue.html", {"form": form, "requests_page": page})


def _detail(
    request,
    service_request,
    *,
    accept_form=None,
    refuse_form=None,
    complement_form=None,
    status=200,
):
    # The account as read now (the request's snapshot is what it was when asked); none for
    # « J'emménage » before acceptance and for a clé d'activation.
    account = service_request.account
    request_type = service_request.request_type
    today = request_type.today(service_request, account=account)
    rows = request_type.rows(service_request, today=today)
    return render(
        request,
        "requests/backoffice/detail.html",
        {
            "service_request": service_request,
            "request_type": request_type,
            "account": account,
            "rows": rows,
            "changed_since": [row for row in rows if row.changed_since],
            "consequences": request_type.consequences(service_request, account=account)
            if service_request.is_open
            else [],
            "thread": selectors.thread_of(service_request),
            "history": selectors.history_of(service_request),
            "details": request_type.details(service_request),
            "extra": request_type.agent_extra(service_request) if service_request.is_open else {},
            "accept_form": accept_form or request_type.accept_form(service_request=service_request),
            "refuse_form": refuse_form or RefuseForm(),
            "complement_form": complement_form or ComplementForm(),
        },
        status=status,
    )


@agent_required
def detail(request, pk):
    return _detail(request, get_request_for_agent(request, pk))


@agent_required(roles.ACCOUNTS)
@require_POST
def accept(request, pk):
    service_request = get_request_for_agent(request, pk)
    form = service_request.request_type.accept_form(request.POST, service_request=service_request)
    if not form.is_valid():
        return _detail(request, service_request, accept_form=form)
    try:
        note = services.service_request_accept(
            service_request=service_request, agent_user=request.user, decision=form.cleaned_data
        )
    except services.AlreadyHandled:
        messages.error(request, ALREADY_HANDLED)
    except ApplyRefused as refused:
        messages.error(request, f"La demande n'est pas acceptée : {refused}")
    else:
        applied = (
            "la modification est appliquée et l'usager"
            if service_request.request_type.changes_values
            else "l'usager"
        )
        messages.success(
            request,
            f"Demande {service_request.request_type.accepted_word} : {applied} "
            f"{_told(service_request)} {note} "
            f"{service_request.request_type.accepted_notice(service_request)}".strip(),
        )
    return redirect("requests:bo_detail", service_request.pk)


NO_EMAIL = (
    "l'usager n'a pas d'adresse email : aucun message ne lui est envoyé, informez-le par "
    "courrier ou par téléphone."
)


def _told(service_request) -> str:
    """How the holder learns the decision: by email, or not at all when he has no address."""
    if services.request_recipient(service_request):
        return "en est informé par email."
    return NO_EMAIL.removeprefix("l'usager ")


@agent_required(roles.ACCOUNTS)
@require_POST
def refuse(request, pk):
    service_request = get_request_for_agent(request, pk)
    form = RefuseForm(request.POST)
    if not form.is_valid():
        return _detail(request, service_request, refuse_form=form)
    try:
        services.service_request_refuse(
            service_request=service_request,
            agent_user=request.user,
            reason=form.cleaned_data["reason"],
        )
    except services.AlreadyHandled:
        messages.error(request, ALREADY_HANDLED)
    else:
        told = (
            "l'usager en est informé par email, avec le motif."
            if services.request_recipient(service_request)
            else NO_EMAIL
        )
        messages.success(request, f"Demande refusée : {told}")
    return redirect("requests:bo_detail", service_request.pk)


@agent_required(roles.ACCOUNTS)
@require_POST
@upload_limit()
def complement(request, pk):
    service_request = get_request_for_agent(request, pk)
    form = ComplementForm(request.POST, request.FILES)
    if not form.is_valid():
        return _detail(request, service_request, complement_form=form)
    try:
        services.service_request_complement_ask(
            service_request=service_request,
            agent_user=request.user,
            body=form.cleaned_data["body"],
            attachment=form.cleaned_data["attachment"] or None,
            attachment_content_type=form.attachment_content_type,
        )
    except services.AlreadyHandled:
        messages.error(request, ALREADY_HANDLED)
    else:
        messages.success(
            request,
            "Complément demandé : l'usager reçoit votre message par email ; la demande attend "
            "sa réponse.",
        )
    return redirect("requests:bo_detail", service_request.pk)


@agent_required
def attachment(request, pk, message_pk):
    message = get_attachment(get_request_for_agent(request, pk), message_pk)
    return private_file_response(message.attachment, content_type=message.attachment_content_type)
