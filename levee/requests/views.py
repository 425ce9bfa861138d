"""The resident's side of the demandes (flows 10 and 11): « Mes services », a type's form,
« Suivi de mes demandes » and a request's detail; the link that confirms a new email."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from levee.authorities.selectors import authority_get_by_slug
from levee.lib.downloads import private_file_response
from levee.space.access import get_account_for_user
from levee.space.views import account_from_request, space_context

from . import selectors, services
from .access import get_attachment, get_request_for_link, get_request_for_user
from .forms import MessageForm
from .registry import request_type_for_slug, request_types_by_group
from .tokens import LinkExpired, LinkInvalid, email_confirm_payload


@login_required
def services_list(request, slug):
    """« Mes services »: the request types, by group."""
    authority = authority_get_by_slug(slug)
    account = account_from_request(request, authority)
    return render(
        request,
        "requests/services.html",
        {**space_context(request, authority, account), "groups": request_types_by_group()},
    )


@login_required
def request_form(request, slug, kind_slug):
    """A type's form, pre-filled with today's values; « Valider » makes the request."""
    authority = authority_get_by_slug(slug)
    account = account_from_request(request, authority)
    request_type = request_type_for_slug(kind_slug)
    waiting = services.open_request_of_kind(account=account, kind=request_type.key)
    form = request_type.form(
        data=request.POST or None, files=request.FILES or None, account=account, user=request.user
    )
    if request.method == "POST" and waiting is None and form.is_valid():
        try:
            services.service_request_create(
                account=account, user=request.user, request_type=request_type, form=form
            )
        except services.AlreadyOpen:
            waiting = services.open_request_of_kind(account=account, kind=request_type.key)
        else:
            messages.success(
                request,
                f"Votre demande « {request_type.tracking_label} » est enregistrée : elle "
                "s'appliquera dès qu'un agent l'aura acceptée. Suivez son état dans « Suivi "
                "de mes demandes ».",
            )
            return redirect("space:home", authority.slug)
    return render(
        request,
        request_type.template,
        {
            **space_context(request, authority, account),
            "request_type": request_type,
            "form": form,
            "waiting": waiting,
        },
    )


@login_required
def tracking(request, slug):
    """« Suivi de mes demandes »: newest first."""
    authority = authority_get_by_slug(slug)
    account = account_from_request(request, authority)
    return render(
        request,
        "requests/tracking.html",
        {
            **space_context(request, authority, account),
            "service_requests": selectors.requests_of_account(account),
        },
    )


def _detail(request, authority, service_request, *, form=None, status=200):
    account = get_account_for_user(request, authority, service_request.account_id)
    request_type = service_request.request_type
    rows = request_type.rows(
        service_request,
        today=request_type.current(account=account, user=service_request.requested_by),
    )
    return render(
        request,
        "requests/detail.html",
        {
            **space_context(request, authority, account),
            "service_request": service_request,
            "request_type": request_type,
            "asked_rows": [row for row in rows if row.is_asked],
            "thread": selectors.thread_of(service_request),
            "history": selectors.history_of(service_request),
            "form": form or MessageForm(),
        },
        status=status,
    )


@login_required
def request_detail(request, slug, pk):
    """What was asked, the messages, the history of statuses; the answer to a complement."""
    authority = authority_get_by_slug(slug)
    service_request = get_request_for_user(request, authority, pk)
    return _detail(request, authority, service_request)


@login_required
@require_POST
def request_answer(request, slug, pk):
    authority = authority_get_by_slug(slug)
    service_request = get_request_for_user(request, authority, pk)
    form = MessageForm(request.POST, request.FILES)
    if not form.is_valid():
        return _detail(request, authority, service_request, form=form)
    try:
        services.service_request_answer(
            service_request=service_request,
            user=request.user,
            body=form.cleaned_data["body"],
            attachment=form.cleaned_data["attachment"] or None,
            attachment_content_type=form.attachment_content_type,
        )
    except services.AlreadyHandled:
        messages.error(
            request, "Cette demande n'attend pas de complément : elle ne peut plus être modifiée."
        )
    else:
        messages.success(
            request, "Votre réponse est transmise : votre demande est à nouveau EN COURS."
        )
    return redirect("requests:detail", authority.slug, service_request.pk)


@login_required
def request_attachment(request, slug, pk, message_pk):
    authority = authority_get_by_slug(slug)
    service_request = get_request_for_user(request, authority, pk)
    message = get_attachment(service_request, message_pk)
    return private_file_response(message.attachment, content_type=message.attachment_content_type)


@login_required
@require_POST
def email_link_resend(request, slug, pk):
    authority = authority_get_by_slug(slug)
    service_request = get_request_for_user(request, authority, pk)
    if services.service_request_email_link_resend(service_request=service_request):
        messages.success(
            request,
            f"Un nouveau lien de confirmation est envoyé à {service_request.outcome['new_email']}.",
        )
    else:
        messages.error(request, "Il n'y a plus d'adresse email à confirmer pour cette demande.")
    return redirect("requests:detail", authority.slug, service_request.pk)


def email_confirm(request, slug, token):
    """The link sent to a new email: it becomes the login identifier (no login needed, the
    signed link is the proof)."""
    authority = authority_get_by_slug(slug)
    try:
        pk, old_email, new_email = email_confirm_payload(token)
    except LinkExpired:
        return _link_invalid(
            request,
            authority,
            "Ce lien a expiré. Connectez-vous avec votre adresse actuelle : depuis « Suivi de "
            "mes demandes », ouvrez la demande pour recevoir un nouveau lien.",
        )
    except LinkInvalid:
        return _link_invalid(request, authority, "Ce lien n'est pas valide.")
    service_request = get_request_for_link(authority, pk)
    if service_request is None:
        return _link_invalid(request, authority, "Ce lien n'est pas valide.")
    try:
        first_time = services.service_request_email_confirm(
            service_request=service_request, old_email=old_email, new_email=new_email
        )
    except services.EmailChangeRefused as refused:
        return _link_invalid(request, authority, str(refused))
    if first_time:
        messages.success(
            request,
            f"Votre adresse email est confirmée : connectez-vous désormais avec {new_email}.",
        )
    else:
        messages.success(request, f"Votre adresse email {new_email} était déjà confirmée.")
    return redirect("accounts:login", authority.slug)


def _link_invalid(request, authority, reason: str):
    return render(
        request,
        "requests/email_confirm_invalid.html",
        {"authority": authority, "reason": reason},
        status=400,
    )
