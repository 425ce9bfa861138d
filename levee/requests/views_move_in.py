"""« J'emménage » (flow 13), for a person without an account nor a login: the form on the
authority's side, the link that confirms his email, and his request's own page (status,
messages, history, his answer to a complement), reached by the signed link of its emails."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from levee.accounts.authentication import throttled_message
from levee.authorities.selectors import authority_get_by_slug
from levee.lib import captcha, throttle
from levee.lib.downloads import private_file_response
from levee.lib.uploads import oversize_form, upload_limit

from . import selectors, services
from .access import get_attachment, get_move_in_for_link
from .forms import MessageForm
from .kinds.move_in import MoveInForm
from .registry import request_type_get
from .tokens import (
    LinkExpired,
    LinkInvalid,
    move_in_confirm_payload,
    move_in_follow_check,
    move_in_follow_pk,
    move_in_follow_token,
)
from .views import answer_submit

SESSION_EMAIL = "move_in_email"


def _move_in_oversize(request, slug, *, length, max_bytes):
    authority = authority_get_by_slug(slug)
    form = oversize_form(
        MoveInForm(authority=authority), "proof", length=length, max_bytes=max_bytes
    )
    return _move_in_page(request, authority, form, status=413)


@upload_limit(oversize=_move_in_oversize)
def move_in(request, slug):
    """The form: address in one of the authority's communes, date, household, proof and
    « Je ne suis pas un robot »; throttled per address like the account-opening form. A
    proof over the limit is refused from its size, before the body is read."""
    authority = authority_get_by_slug(slug)
    form = MoveInForm(request.POST or None, request.FILES or None, authority=authority)
    if request.method == "POST":
        ip = throttle.client_ip(request)
        if throttle.is_blocked(throttle.MOVE_IN, ip):
            form.is_valid()
            form.add_error(None, throttled_message(throttle.MOVE_IN))
        elif form.is_valid() and throttle.is_blocked(throttle.MOVE_IN, form.cleaned_data["email"]):
            # Counted for every address, known or not: it reveals nothing, and keeps one
            # address from being flooded with emails.
            form.add_error(None, throttled_message(throttle.MOVE_IN))
        elif form.is_valid():
            email = form.cleaned_data["email"]
            throttle.hit(throttle.MOVE_IN, ip)
            throttle.hit(throttle.MOVE_IN, email)
            request_type = request_type_get("move_in")
            message, files = request_type.opening_message(form)
            try:
                services.move_in_submit(
                    authority=authority,
                    commune=form.chosen_commune,
                    email=email,
                    requested=request_type.requested_from(form),
                    message=message,
                    files=files,
                )
            except services.AlreadyOpen:
                # Said the same way as a new request: the page tells nobody whether this
                # address already asked; its owner gets the link again.
                services.move_in_link_resend(authority=authority, email=email)
            request.session[SESSION_EMAIL] = email
            return redirect("requests:move_in_submitted", authority.slug)
    return _move_in_page(request, authority, form)


def _move_in_page(request, authority, form, *, status=200):
    return render(
        request,
        "requests/move_in.html",
        {
            "authority": authority,
            "request_type": request_type_get("move_in"),
            "form": form,
            "altcha_challenge": captcha.challenge_json(),
            "altcha_strings": captcha.widget_strings_json(),
        },
        status=status,
    )


def move_in_submitted(request, slug):
    authority = authority_get_by_slug(slug)
    return render(
        request,
        "requests/move_in_submitted.html",
        {"authority": authority, "email": request.session.get(SESSION_EMAIL, "")},
    )


def _invalid(request, authority, reason: str):
    return render(
        request,
        "requests/move_in_link_invalid.html",
        {"authority": authority, "reason": reason},
        status=400,
    )


def move_in_confirm(request, slug, token):
    """The link mailed to the newcomer: his request reaches the agents, then his page."""
    authority = authority_get_by_slug(slug)
    try:
        pk = move_in_confirm_payload(token)
    except LinkExpired:
        return _invalid(
            request,
            authority,
            "Ce lien a expiré. Refaites votre demande avec la même adresse email : un nouveau "
            "lien vous sera envoyé.",
        )
    except LinkInvalid:
        return _invalid(request, authority, "Ce lien n'est pas valide.")
    service_request = get_move_in_for_link(authority, pk)
    if service_request is None:
        return _invalid(request, authority, "Ce lien n'est pas valide.")
    if services.move_in_confirm(service_request=service_request):
        messages.success(
            request,
            "Votre adresse email est confirmée : votre demande est transmise à la collectivité. "
            "Vous serez informé(e) par email de sa décision.",
        )
    else:
        messages.info(request, "Votre adresse email était déjà confirmée.")
    follow = move_in_follow_token(service_request_pk=pk, email=service_request.email)
    return redirect("requests:move_in_follow", authority.slug, follow)


def _request_of(request, authority, token):
    try:
        service_request = get_move_in_for_link(authority, move_in_follow_pk(token))
        if service_request is None:
            raise LinkInvalid
        move_in_follow_check(
            token, service_request_pk=service_request.pk, email=service_request.email
        )
    except LinkExpired:
        return None, _invalid(
            request,
            authority,
            "Ce lien a expiré : ouvrez le lien du dernier email reçu au sujet de votre demande.",
        )
    except LinkInvalid:
        return None, _invalid(request, authority, "Ce lien n'est pas valide.")
    return service_request, None


def _follow_page(request, authority, service_request, token, *, form=None, status=200):
    request_type = service_request.request_type
    rows = request_type.rows(service_request, today={})
    return render(
        request,
        "requests/move_in_follow.html",
        {
            "authority": authority,
            "service_request": service_request,
            "request_type": request_type,
            "asked_rows": [row for row in rows if row.is_asked],
            "thread": selectors.thread_of(service_request),
            "history": selectors.history_of(service_request),
            "form": form or MessageForm(),
            "follow_token": token,
        },
        status=status,
    )


def move_in_follow(request, slug, token):
    """The newcomer's page of his request: what he asked, its status, the messages."""
    authority = authority_get_by_slug(slug)
    service_request, invalid = _request_of(request, authority, token)
    if invalid is not None:
        return invalid
    return _follow_page(request, authority, service_request, token)


@require_POST
@upload_limit()
def move_in_answer(request, slug, token):
    """His answer to « Demander un complément » (with a document if need be)."""
    authority = authority_get_by_slug(slug)
    service_request, invalid = _request_of(request, authority, token)
    if invalid is not None:
        return invalid
    form = MessageForm(request.POST, request.FILES)
    if not form.is_valid():
        return _follow_page(request, authority, service_request, token, form=form)
    answer_submit(request, service_request, form, user=None)
    return redirect("requests:move_in_follow", authority.slug, token)


def move_in_attachment(request, slug, token, message_pk):
    authority = authority_get_by_slug(slug)
    service_request, invalid = _request_of(request, authority, token)
    if invalid is not None:
        return invalid
    message = get_attachment(service_request, message_pk)
    return private_file_response(message.attachment, content_type=message.attachment_content_type)
