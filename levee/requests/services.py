"""Writes of the demandes: a resident asks or answers, an agent accepts, refuses or asks for
more. Every status change is a conditional update whose row count is checked (a double
click or two agents at once change a request once), is written to the request's history,
emails the resident in the same transaction, and, when an agent makes it, is audited."""

from django.core.files import File
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from levee.accounts.models import User
from levee.audit.services import audit_write
from levee.integrations.services import webhook_event_record
from levee.mailing.services import mail_enqueue
from levee.subscribers.models import Account
from levee.subscribers.selectors import subscription_running

from .kinds.contact_details import EMAIL_TAKEN, email_confirm_send, email_taken
from .models import (
    OPEN_STATUSES,
    Author,
    RequestMessage,
    RequestStatus,
    RequestStatusChange,
    ServiceRequest,
)
from .registry import request_type_get
from .tokens import move_in_confirm_token, move_in_follow_token

ATTACHMENT_EXTENSIONS = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}


class AlreadyOpen(Exception):
    """The account already has a request of this type waiting."""


class AlreadyHandled(Exception):
    """The request changed status in between (another agent, a double click)."""


class EmailChangeRefused(Exception):
    """A new email cannot become the login: the message says why, in French."""


def detail_url(service_request: ServiceRequest) -> str:
    """Where the person who asked follows the request: his space, or for a request made
    without a login (« J'emménage ») the signed link of its own page."""
    if service_request.requested_by_id is None and service_request.email:
        return reverse(
            "requests:move_in_follow",
            args=[
                service_request.authority.slug,
                move_in_follow_token(
                    service_request_pk=service_request.pk, email=service_request.email
                ),
            ],
        )
    if service_request.account_id is None:
        return reverse("requests:mine", args=[service_request.pk])
    return reverse("requests:detail", args=[service_request.authority.slug, service_request.pk])


def request_recipient(service_request: ServiceRequest) -> str:
    """Where the request's messages go: the login that made it, the address it gave, or
    its account's; "" when the holder has no address (a request made at the counter for an
    account without email)."""
    user = service_request.requested_by
    if user is not None:
        return user.email
    if service_request.email:
        return service_request.email
    return service_request.account.email if service_request.account_id else ""


def _mail(service_request: ServiceRequest, template: str, **context) -> None:
    to = request_recipient(service_request)
    if not to:
        return
    mail_enqueue(
        to=to,
        template=template,
        context={
            "service_request": service_request,
            "label": service_request.request_type.tracking_label,
            "detail_url": detail_url(service_request),
            **context,
        },
        authority=service_request.authority,
    )


def _transition(
    service_request: ServiceRequest,
    *,
    to: str,
    by,
    by_agent: bool,
    note: str = "",
    allowed_from=OPEN_STATUSES,
    **fields,
) -> RequestStatusChange:
    """Moves the request from the status it was read with to `to`, or raises
    AlreadyHandled (a handled request never moves again, and one that moved since it was
    read is not moved twice); returns the history line it writes."""
    before = service_request.status
    if before not in allowed_from:
        raise AlreadyHandled
    moved = ServiceRequest.objects.filter(
        pk=service_request.pk, authority_id=service_request.authority_id, status=before
    ).update(status=to, updated_at=timezone.now(), **fields)
    if not moved:
        raise AlreadyHandled
    change = RequestStatusChange.objects.create(
        authority_id=service_request.authority_id,
        service_request=service_request,
        from_status=before,
        to_status=to,
        changed_by=by,
        by_agent=by_agent,
        note=note,
    )
    service_request.status = to
    for name, value in fields.items():
        setattr(service_request, name, value)
    if before == RequestStatus.UNCONFIRMED:
        # Its email confirmed, the request reaches the agents: for the authority it is new.
        _webhook(service_request, "request.created")
    else:
        _webhook(service_request, "request.status_changed", from_status=before)
    return change


def _webhook(service_request: ServiceRequest, event: str, **extra) -> None:
    """Tells the authority's webhooks (in this transaction): which request, of which type
    and account, in which status; never its values or messages."""
    webhook_event_record(
        authority=service_request.authority_id,
        event=event,
        payload={
            "request_id": service_request.pk,
            "kind": service_request.kind,
            "account_code": service_request.account.code if service_request.account_id else None,
            "status": service_request.status,
            **extra,
        },
    )


def _messages_add(service_request, *, author, role: str, body: str, files=()) -> None:
    """A message of the thread with its files (kept private): the first file goes with the
    text, each other one in a message of its own that carries only it."""
    files = list(files) or [(None, "")]
    for n, (upload, content_type) in enumerate(files):
        attachment = {}
        if upload is not None:
            extension = ATTACHMENT_EXTENSIONS.get(content_type, "")
            attachment = {
                "attachment": File(upload, name=f"piece-jointe{extension}"),
                "attachment_content_type": content_type,
                "attachment_name": (upload.name or "piece-jointe")[-200:],
            }
        RequestMessage.objects.create(
            authority_id=service_request.authority_id,
            service_request=service_request,
            author=author,
            author_role=role,
            body=body if n == 0 else "",
            **attachment,
        )


def _thread_turn(
    service_request,
    *,
    to: str,
    author,
    role: str,
    body: str,
    attachment,
    content_type: str,
    allowed_from=OPEN_STATUSES,
) -> RequestStatusChange:
    """A message of the thread (with its attachment, kept private) that moves the request:
    the agent's question, or the resident's answer."""
    change = _transition(
        service_request,
        to=to,
        by=author,
        by_agent=role == Author.AGENT,
        note=body if role == Author.AGENT else "",
        allowed_from=allowed_from,
    )
    files = [(attachment, content_type)] if attachment is not None else []
    _messages_add(service_request, author=author, role=role, body=body, files=files)
    return change


def _request_open(
    *,
    authority,
    account: Account | None,
    commune,
    user: User | None,
    email: str,
    request_type,
    requested: dict,
    message: str,
    files,
    status: str = RequestStatus.PENDING,
    made_by_agent: User | None = None,
) -> ServiceRequest:
    """Stores a request with today's values beside what is asked, its first history line and
    the message (and files) that open its thread. AlreadyOpen when one waits already.
    `made_by_agent`: the agent who makes it at the counter for the resident (`user` is then
    None); its first history line says so."""
    subject_key = request_type.subject_key(requested)
    subject = (
        request_type.subject_load(account=account, key=subject_key)
        if subject_key and account is not None
        else None
    )
    try:
        with transaction.atomic():
            service_request = ServiceRequest.objects.create(
                authority=authority,
                account=account,
                commune=commune,
                requested_by=user,
                made_by_agent=made_by_agent,
                email=email,
                kind=request_type.key,
                subject=subject_key,
                status=status,
                requested=requested,
                snapshot=request_type.current(account=account, user=user, subject=subject),
            )
    except IntegrityError:
        raise AlreadyOpen
    RequestStatusChange.objects.create(
        authority=authority,
        service_request=service_request,
        to_status=status,
        changed_by=made_by_agent or user,
        by_agent=made_by_agent is not None,
        note=service_request.counter_mention,
    )
    files = list(files)
    if message or files:
        _messages_add(service_request, author=user, role=Author.RESIDENT, body=message, files=files)
    if status != RequestStatus.UNCONFIRMED:
        _webhook(service_request, "request.created")
    return service_request


@transaction.atomic
def service_request_create(
    *,
    account: Account,
    user: User | None,
    request_type,
    requested: dict,
    message: str = "",
    files=(),
    made_by_agent: User | None = None,
) -> ServiceRequest:
    """Stores what the resident asks (« EN COURS ») with today's values beside it, and
    acknowledges it by email. AlreadyOpen when one of this type already waits.

    `requested`: the values asked (the type's `requested_from` of its valid form);
    `message` and `files` ([(upload, content type), …], the type's `opening_message`)
    open the request's thread.

    At the counter, `made_by_agent` is the agent acting on the resident's behalf and `user`
    is None (no login of the resident asked): the request, its history and the audit log
    say so, and the emails go to the account's address."""
    running = subscription_running(account)
    service_request = _request_open(
        authority=account.authority,
        account=account,
        commune=running.commune if running else None,
        user=user,
        email="",
        request_type=request_type,
        requested=requested,
        message=message,
        files=files,
        made_by_agent=made_by_agent,
    )
    if made_by_agent is not None:
        audit_write(
            authority=account.authority,
            actor=made_by_agent,
            action="service_request.create_on_behalf",
            obj=service_request,
            after={
                "account": account.code,
                "kind": request_type.key,
                "status": service_request.status,
                # As the agents' pages show it: an IBAN, kept whole for the mandate, masked.
                "requested": {
                    key: request_type.display(key, value)
                    for key, value in service_request.requested.items()
                },
            },
        )
    _mail(service_request, "request_received")
    return service_request


@transaction.atomic
def key_request_create(
    *, authority, commune, user: User, requested: dict, message: str = "", files=()
) -> ServiceRequest:
    """« Vous ne connaissez pas votre clé d'activation ? »: a login asks the authority of the
    commune for the key of an account it cannot name (no account on the request: the agent
    finds it). AlreadyOpen when the login already waits for one there. `requested`,
    `message` and `files` as for service_request_create (the identity document)."""
    service_request = _request_open(
        authority=authority,
        account=None,
        commune=commune,
        user=user,
        email=user.email,
        request_type=request_type_get("key_request"),
        requested=requested,
        message=message,
        files=files,
    )
    _mail(service_request, "request_received")
    return service_request


def _move_in_confirm_send(service_request: ServiceRequest) -> None:
    """The confirmation link. An address that already has an active login is told how to
    use its space (« Je signale mon déménagement ») and, should he really be new to this
    authority, gets the link all the same: the page said the same in both cases."""
    authority = service_request.authority
    context = {
        "confirm_url": reverse(
            "requests:move_in_confirm",
            args=[authority.slug, move_in_confirm_token(service_request_pk=service_request.pk)],
        ),
    }
    template = "move_in_confirm"
    if User.objects.filter(email__iexact=service_request.email, is_active=True).exists():
        template = "move_in_existing"
        context["login_url"] = reverse("accounts:login", args=[authority.slug])
        context["reset_url"] = reverse("accounts:password_reset", args=[authority.slug])
    mail_enqueue(to=service_request.email, template=template, context=context, authority=authority)


@transaction.atomic
def move_in_submit(
    *, authority, commune, email: str, requested: dict, message: str = "", files=()
) -> ServiceRequest:
    """« J'emménage »: a newcomer without an account asks for a subscription. The request
    waits for its email to be confirmed (« EMAIL À CONFIRMER ») before the agents see it.
    AlreadyOpen when one made with the same address is still open there. `requested`,
    `message` and `files` as for service_request_create (the proof of address)."""
    service_request = _request_open(
        authority=authority,
        account=None,
        commune=commune,
        user=None,
        email=email,
        request_type=request_type_get("move_in"),
        requested=requested,
        message=message,
        files=files,
        status=RequestStatus.UNCONFIRMED,
    )
    _move_in_confirm_send(service_request)
    return service_request


@transaction.atomic
def move_in_link_resend(*, authority, email: str) -> None:
    """Mails again, to the address itself, the link of its open « J'emménage » request (the
    confirmation link while unconfirmed): whoever typed the address learns nothing more."""
    waiting = (
        ServiceRequest.objects.filter(
            authority=authority,
            kind="move_in",
            email__iexact=email,
            account__isnull=True,
            status__in=[RequestStatus.UNCONFIRMED, *OPEN_STATUSES],
        )
        .select_related("authority")
        .first()
    )
    if waiting is None:
        return
    if waiting.status == RequestStatus.UNCONFIRMED:
        _move_in_confirm_send(waiting)
    else:
        _mail(waiting, "request_link")


@transaction.atomic
def move_in_confirm(*, service_request: ServiceRequest) -> bool:
    """The link mailed to the newcomer was followed: the request reaches the agents
    (« EN COURS »). True the first time, False once already confirmed."""
    try:
        _transition(
            service_request,
            to=RequestStatus.PENDING,
            by=None,
            by_agent=False,
            note="Adresse email confirmée.",
            allowed_from=[RequestStatus.UNCONFIRMED],
        )
    except AlreadyHandled:
        return False
    _mail(service_request, "request_received")
    return True


@transaction.atomic
def service_request_accept(
    *, service_request: ServiceRequest, agent_user: User, decision: dict | None = None
) -> str:
    """Applies the change and sets « ACCEPTÉ » in one transaction; raises AlreadyHandled
    (decided in between: nothing applied twice) or ApplyRefused (nothing changed).
    `decision` is what the agent typed in the type's accept form: its `message` joins the
    thread and the email."""
    decision = decision or {}
    account = None
    if service_request.account_id is not None:
        account = Account.objects.select_for_update().get(
            pk=service_request.account_id, authority_id=service_request.authority_id
        )
    request_type = service_request.request_type
    before_values = request_type.today(service_request, account=account)
    now = timezone.now()
    change = _transition(
        service_request,
        to=RequestStatus.ACCEPTED,
        by=agent_user,
        by_agent=True,
        decided_by=agent_user,
        decided_at=now,
    )
    applied = request_type.apply(
        service_request=service_request, account=account, agent_user=agent_user, decision=decision
    )
    if applied.outcome:
        service_request.outcome = applied.outcome
        service_request.save(update_fields=["outcome"])
    if applied.note:
        change.note = applied.note
        change.save(update_fields=["note"])
    message = decision.get("message", "")
    if message:
        _messages_add(service_request, author=agent_user, role=Author.AGENT, body=message)
    audit_write(
        authority=service_request.authority,
        actor=agent_user,
        action="service_request.accept",
        obj=service_request,
        before={
            "status": change.from_status,
            "kind": service_request.kind,
            "values": before_values,
        },
        after={
            "status": RequestStatus.ACCEPTED,
            "applied": applied.after,
            **({"message": message} if message else {}),
        },
    )
    _mail(
        service_request,
        "request_accepted",
        note=applied.note,
        message=message,
        sentence=request_type.accepted_sentence(service_request),
        email_lines=applied.email_lines,
        accepted_word=request_type.accepted_word,
    )
    return applied.note


@transaction.atomic
def service_request_refuse(
    *, service_request: ServiceRequest, agent_user: User, reason: str
) -> None:
    """« REFUSÉ », with the reason the resident reads in the email and in « Suivi »."""
    change = _transition(
        service_request,
        to=RequestStatus.REFUSED,
        by=agent_user,
        by_agent=True,
        note=reason,
        decided_by=agent_user,
        decided_at=timezone.now(),
        refusal_reason=reason,
    )
    audit_write(
        authority=service_request.authority,
        actor=agent_user,
        action="service_request.refuse",
        obj=service_request,
        before={"status": change.from_status, "kind": service_request.kind},
        after={"status": RequestStatus.REFUSED, "reason": reason},
    )
    _mail(service_request, "request_refused", reason=reason)


@transaction.atomic
def service_request_complement_ask(
    *,
    service_request: ServiceRequest,
    agent_user: User,
    body: str,
    attachment=None,
    attachment_content_type: str = "",
) -> None:
    """« Demander un complément »: the agent's question joins the thread and the request
    waits (« EN ATTENTE DE COMPLÉMENT ») until the resident answers."""
    change = _thread_turn(
        service_request,
        to=RequestStatus.WAITING,
        author=agent_user,
        role=Author.AGENT,
        body=body,
        attachment=attachment,
        content_type=attachment_content_type,
    )
    audit_write(
        authority=service_request.authority,
        actor=agent_user,
        action="service_request.complement_ask",
        obj=service_request,
        before={"status": change.from_status, "kind": service_request.kind},
        after={"status": RequestStatus.WAITING, "message": body},
    )
    _mail(service_request, "request_complement", body=body)


@transaction.atomic
def service_request_answer(
    *,
    service_request: ServiceRequest,
    user: User | None,
    body: str,
    attachment=None,
    attachment_content_type: str = "",
) -> None:
    """The resident (without a login for « J'emménage ») answers a « Demander un complément »: his message (and attachment) joins
    the thread and the request is « EN COURS » again. AlreadyHandled unless it waited."""
    _thread_turn(
        service_request,
        to=RequestStatus.PENDING,
        author=user,
        role=Author.RESIDENT,
        body=body,
        attachment=attachment,
        content_type=attachment_content_type,
        allowed_from=[RequestStatus.WAITING],
    )
    _mail(service_request, "request_resumed")


@transaction.atomic
def service_request_email_confirm(
    *, service_request: ServiceRequest, old_email: str, new_email: str
) -> bool:
    """The link sent to a new email was followed: it becomes the login of the person who
    asked (and the account's email). True the first time, False when already done;
    EmailChangeRefused when the link no longer applies or the address is taken."""
    user = User.objects.select_for_update().filter(pk=service_request.requested_by_id).first()
    expected = service_request.outcome.get("new_email", "")
    if (
        user is None
        or service_request.status != RequestStatus.ACCEPTED
        or expected.lower() != new_email.lower()
    ):
        raise EmailChangeRefused("Ce lien ne correspond à aucune demande en attente.")
    if user.email.lower() == new_email.lower() and service_request.outcome.get("confirmed_at"):
        return False
    if user.email.lower() != old_email.lower():
        raise EmailChangeRefused(
            "Votre identifiant a changé depuis l'envoi de ce lien : il ne s'applique plus."
        )
    if email_taken(new_email, user=user):
        raise EmailChangeRefused(f"{new_email} : {EMAIL_TAKEN}")
    try:
        with transaction.atomic():
            user.email = new_email
            user.save(update_fields=["email"])
    except IntegrityError:  # taken by a sign-up in the meantime
        raise EmailChangeRefused(f"{new_email} : {EMAIL_TAKEN}")
    Account.objects.filter(
        pk=service_request.account_id, authority_id=service_request.authority_id
    ).update(email=new_email, updated_at=timezone.now())
    service_request.outcome = {
        **service_request.outcome,
        "confirmed_at": timezone.now().isoformat(),
    }
    service_request.save(update_fields=["outcome", "updated_at"])
    mail_enqueue(
        to=old_email,
        template="request_email_changed",
        context={"new_email": new_email},
        authority=service_request.authority,
    )
    return True


@transaction.atomic
def service_request_email_link_resend(*, service_request: ServiceRequest) -> bool:
    """Sends the confirmation link again (the first one expired or was lost). False when
    there is nothing left to confirm."""
    new = service_request.outcome.get("new_email")
    user = service_request.requested_by
    if (
        not new
        or user is None
        or service_request.outcome.get("confirmed_at")
        or service_request.status != RequestStatus.ACCEPTED
    ):
        return False
    email_confirm_send(service_request=service_request, user=user, new_email=new)
    return True
