"""Writes of the demandes: a resident asks or answers, an agent accepts, refuses or asks for
more. Every status change is a conditional update whose row count is checked (a double
click or two agents at once change a request once), is written to the request's history,
emails the resident in the same transaction, and, when an agent makes it, is audited."""

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from levee.accounts.models import User
from levee.backoffice.services import audit_write
from levee.mailing.services import mail_enqueue
from levee.subscribers.models import Account, Subscription

from .kinds.contact_details import EMAIL_TAKEN, email_confirm_send, email_taken
from .models import (
    OPEN_STATUSES,
    Author,
    RequestMessage,
    RequestStatus,
    RequestStatusChange,
    ServiceRequest,
)

ATTACHMENT_EXTENSIONS = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}


class AlreadyOpen(Exception):
    """The account already has a request of this type waiting."""


class AlreadyHandled(Exception):
    """The request changed status in between (another agent, a double click)."""


class EmailChangeRefused(Exception):
    """A new email cannot become the login: the message says why, in French."""


def _mail(service_request: ServiceRequest, template: str, **context) -> None:
    user = service_request.requested_by
    to = user.email if user is not None else service_request.account.email
    if not to:
        return
    mail_enqueue(
        to=to,
        template=template,
        context={
            "service_request": service_request,
            "label": service_request.request_type.tracking_label,
            "detail_url": reverse(
                "requests:detail", args=[service_request.authority.slug, service_request.pk]
            ),
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
    return change


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
    message = RequestMessage(
        authority_id=service_request.authority_id,
        service_request=service_request,
        author=author,
        author_role=role,
        body=body,
    )
    if attachment is not None:
        message.attachment_content_type = content_type
        message.attachment_name = (attachment.name or "piece-jointe")[-200:]
        extension = ATTACHMENT_EXTENSIONS.get(content_type, "")
        message.attachment.save(f"piece-jointe{extension}", attachment, save=False)
    message.save()
    return change


@transaction.atomic
def service_request_create(
    *,
    account: Account,
    user: User | None,
    request_type,
    form,
    made_by_agent: User | None = None,
) -> ServiceRequest:
    """Stores what the resident asks (« EN COURS ») with today's values beside it, and
    acknowledges it by email. AlreadyOpen when one of this type already waits.

    At the counter, `made_by_agent` is the agent acting on the resident's behalf and `user`
    is None (no login of the resident asked): the request, its history and the audit log
    say so, and the emails go to the account's address."""
    running = (
        Subscription.objects.filter(
            authority_id=account.authority_id, account=account, ended_on__isnull=True
        )
        .order_by("-subscribed_on")
        .first()
    )
    try:
        with transaction.atomic():
            service_request = ServiceRequest.objects.create(
                authority_id=account.authority_id,
                account=account,
                commune_id=running.commune_id if running else None,
                requested_by=user,
                made_by_agent=made_by_agent,
                kind=request_type.key,
                requested=request_type.requested_from(form),
                snapshot=request_type.current(account=account, user=user),
            )
    except IntegrityError:
        raise AlreadyOpen
    RequestStatusChange.objects.create(
        authority_id=account.authority_id,
        service_request=service_request,
        to_status=RequestStatus.PENDING,
        changed_by=made_by_agent or user,
        by_agent=made_by_agent is not None,
        note=service_request.counter_mention,
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
                "status": RequestStatus.PENDING,
                "requested": service_request.requested,
            },
        )
    _mail(service_request, "request_received")
    return service_request


def open_request_of_kind(*, account: Account, kind: str) -> ServiceRequest | None:
    return (
        ServiceRequest.objects.filter(
            authority_id=account.authority_id,
            account=account,
            kind=kind,
            status__in=[RequestStatus.PENDING, RequestStatus.WAITING],
        )
        .order_by("-created_at")
        .first()
    )


@transaction.atomic
def service_request_accept(*, service_request: ServiceRequest, agent_user: User) -> str:
    """Applies the change and sets « ACCEPTÉ » in one transaction; raises AlreadyHandled
    (decided in between: nothing applied twice) or ApplyRefused (nothing changed)."""
    account = Account.objects.select_for_update().get(
        pk=service_request.account_id, authority_id=service_request.authority_id
    )
    request_type = service_request.request_type
    before_values = request_type.current(account=account, user=service_request.requested_by)
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
        service_request=service_request, account=account, agent_user=agent_user
    )
    if applied.outcome:
        service_request.outcome = applied.outcome
        service_request.save(update_fields=["outcome"])
    if applied.note:
        change.note = applied.note
        change.save(update_fields=["note"])
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
        after={"status": RequestStatus.ACCEPTED, "applied": applied.after},
    )
    _mail(service_request, "request_accepted", note=applied.note)
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
    user: User,
    body: str,
    attachment=None,
    attachment_content_type: str = "",
) -> None:
    """The resident answers a « Demander un complément »: his message (and attachment) joins
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
