"""The resident's side of the demandes (flows 10 to 12): « Mes services », a type's form,
« Suivi de mes demandes » and a request's detail; the link that confirms a new email; the
request of a clé d'activation from « Associer un autre compte »."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from levee.accounts.views_association import SESSION_KEY as ASSOCIATION_SESSION_KEY
from levee.authorities.selectors import authority_get_by_slug, commune_choice
from levee.lib.downloads import private_file_response
from levee.lib.uploads import proofs_max_bytes, upload_limit
from levee.space.access import accesses_of, get_account_for_user
from levee.space.on_behalf import not_on_behalf, on_behalf_of
from levee.space.views import account_from_request, space_context

from . import selectors, services
from .access import (
    get_attachment,
    get_commune_for_key_request,
    get_login_request_for_user,
    get_request_for_link,
    get_request_for_user,
    login_requests_filter,
)
from .forms import MessageForm
from .kinds.key_request import KeyRequestForm
from .registry import request_type_for_slug, request_type_get, request_types_by_group
from .tokens import LinkExpired, LinkInvalid, email_confirm_payload

LOGIN_FIELD_LOCKED = (
    "C'est l'identifiant de connexion de l'usager : lui seul peut le modifier, depuis son espace."
)


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
@upload_limit(proofs_max_bytes(5))  # the most files a type takes: « Nous contacter »
def request_form(request, slug, kind_slug):
    """A type's form, pre-filled with today's values; « Valider » makes the request. At the
    counter, the agent makes it for the resident: no login of his asks, and the login's
    fields are locked."""
    authority = authority_get_by_slug(slug)
    account = account_from_request(request, authority)
    acting = on_behalf_of(request)
    resident = request.user if acting is None else None
    request_type = request_type_for_slug(kind_slug)
    subject, subject_key = None, ""
    if request_type.subject_param:  # the lift contested: one of the account's, or 404
        subject_key = request.GET.get(request_type.subject_param, "")
        subject = request_type.subject_load(account=account, key=subject_key)
        if subject is None:
            raise Http404
    waiting = selectors.open_request_of_kind(
        account=account, kind=request_type.key, subject=subject_key
    ) or request_type.blocking_request(account=account)
    form = request_type.form(
        data=request.POST or None,
        files=request.FILES or None,
        account=account,
        user=resident,
        subject=subject,
    )
    if acting is not None:
        for name in request_type.login_fields:
            form.fields[name].disabled = True
            form.fields[name].help_text = LOGIN_FIELD_LOCKED
    if request.method == "POST" and waiting is None and form.is_valid():
        requested = request_type.requested_from(form)
        message, files = request_type.opening_message(form)
        try:
            services.service_request_create(
                account=account,
                user=resident,
                request_type=request_type,
                requested=requested,
                message=message,
                files=files,
                made_by_agent=acting.agent.user if acting is not None else None,
            )
        except services.AlreadyOpen:
            waiting = selectors.open_request_of_kind(
                account=account, kind=request_type.key, subject=request_type.subject_key(requested)
            )
        else:
            if acting is not None:
                messages.success(
                    request,
                    f"La demande « {request_type.tracking_label} » est enregistrée pour le "
                    "compte de l'usager, comme faite au guichet : elle s'appliquera dès qu'un "
                    "agent l'aura acceptée.",
                )
            else:
                then = (
                    "elle s'appliquera dès qu'un agent l'aura acceptée"
                    if request_type.changes_values
                    else "un agent va l'examiner"
                )
                messages.success(
                    request,
                    f"Votre demande « {request_type.tracking_label} » est enregistrée : {then}. "
                    "Suivez son état dans « Suivi de mes demandes ».",
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
            "service_requests": selectors.requests_of_account(
                account, own=login_requests_filter(request)
            ),
        },
    )


def _detail(request, authority, service_request, *, form=None, status=200):
    request_type = service_request.request_type
    if service_request.account_id is None:  # the login's own, shown in the space he is in
        account = account_from_request(request, authority)
        today = request_type.today(service_request, account=None)
    else:
        account = get_account_for_user(request, authority, service_request.account_id)
        today = request_type.today(service_request, account=account)
    rows = request_type.rows(service_request, today=today)
    return render(
        request,
        "requests/detail.html",
        {
            **space_context(request, authority, account),
            "service_request": service_request,
            "request_type": request_type,
            "asked_rows": [row for row in rows if row.is_asked],
            "details": request_type.details(service_request),
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
@not_on_behalf
@upload_limit()
def request_answer(request, slug, pk):
    authority = authority_get_by_slug(slug)
    service_request = get_request_for_user(request, authority, pk)
    form = MessageForm(request.POST, request.FILES)
    if not form.is_valid():
        return _detail(request, authority, service_request, form=form)
    answer_submit(request, service_request, form, user=request.user)
    return redirect("requests:detail", authority.slug, service_request.pk)


def answer_submit(request, service_request, form, *, user) -> None:
    """The resident's answer to a complement (a valid MessageForm), said on the next page."""
    try:
        services.service_request_answer(
            service_request=service_request,
            user=user,
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


@login_required
def request_attachment(request, slug, pk, message_pk):
    authority = authority_get_by_slug(slug)
    service_request = get_request_for_user(request, authority, pk)
    message = get_attachment(service_request, message_pk)
    return private_file_response(message.attachment, content_type=message.attachment_content_type)


@login_required
@require_POST
@not_on_behalf
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


def _association_commune(request):
    """The commune chosen at step 1 of « Associer un autre compte » (kept in the session)."""
    data = request.session.get(ASSOCIATION_SESSION_KEY) or {}
    if not isinstance(data, dict) or not data.get("insee"):
        return None
    return commune_choice(str(data["insee"]), str(data.get("postal_code", "")))


@login_required
@not_on_behalf
@upload_limit()
def key_request(request, slug):
    """« Vous ne connaissez pas votre clé d'activation ? » (flow 12): asked to the authority
    of the commune chosen at step 1, with an identity document; the key comes by email."""
    authority = authority_get_by_slug(slug)
    account = account_from_request(request, authority)
    chosen = _association_commune(request)
    if chosen is None or chosen.authority_slug is None:
        return redirect("accounts:associate_commune", authority.slug)
    target = authority_get_by_slug(chosen.authority_slug)
    commune = get_commune_for_key_request(target, chosen.insee)
    request_type = request_type_get("key_request")
    waiting = selectors.open_request_of_login(
        user=request.user, authority=target, kind=request_type.key
    )
    form = KeyRequestForm(
        request.POST or None,
        request.FILES or None,
        commune=commune,
        postal_code=chosen.postal_code,
    )
    if request.method == "POST" and waiting is None and form.is_valid():
        message, files = request_type.opening_message(form)
        try:
            services.key_request_create(
                authority=target,
                commune=commune,
                user=request.user,
                requested=request_type.requested_from(form),
                message=message,
                files=files,
            )
        except services.AlreadyOpen:
            waiting = selectors.open_request_of_login(
                user=request.user, authority=target, kind=request_type.key
            )
        else:
            request.session.pop(ASSOCIATION_SESSION_KEY, None)
            messages.success(
                request,
                f"Votre demande de clé d'activation est transmise à {target.name} : la clé vous "
                "sera envoyée par email dès qu'un agent aura vérifié votre identité. Suivez "
                "votre demande dans « Suivi de mes demandes ».",
            )
            return redirect("requests:tracking", authority.slug)
    return render(
        request,
        request_type.template,
        {
            **space_context(request, authority, account),
            "request_type": request_type,
            "form": form,
            "waiting": waiting,
            "target": target,
            "chosen": chosen,
        },
    )


@login_required
def mine(request, pk):
    """The link of the emails of a request the login made without an account: its page, in
    a space the login has (the request's authority's if he has one there now)."""
    authority_id = get_login_request_for_user(request, pk).authority_id
    accesses = accesses_of(request)
    if not accesses:
        return redirect("space:no_account")
    access = next((a for a in accesses if a.authority_id == authority_id), accesses[0])
    return redirect("requests:detail", access.authority.slug, pk)
