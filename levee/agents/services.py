"""The agents' domain: an authority's administrator manages its agents (adds one by email,
changes a role, deactivates or reactivates one; the authority always keeps an active
« Administrateur »), and agents decide on residents' accounts: opening requests (flow 4),
clés d'activation, acting on behalf at the counter. Each decision changes its object exactly
once (conditional update), mails the person where it concerns him, and is audited."""

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from levee.accounts.models import AccountOpeningRequest, OpeningStatus, User
from levee.accounts.services import account_access_grant
from levee.accounts.tokens import encode_uid
from levee.audit.services import audit_write
from levee.authorities.models import Authority
from levee.integrations.services import webhook_event_record
from levee.mailing.services import mail_enqueue
from levee.subscribers.models import Account
from levee.subscribers.services import account_create, portal_key_new

from .models import Agent
from .on_behalf import marker_expires_at, marker_ids, marker_new
from .roles import AgentRole
from .tokens import invitation_token

# What the audit log keeps of a clé d'activation: that it changed, not the key, which would
# let anyone who reads the log associate the account (the migration audit 0003 masks the
# rows written before).
KEY_MASKED = "(masquée)"


class AgentAlreadyActive(Exception):
    pass


class LastAdministrator(Exception):
    """The change would leave the authority without an active administrator."""


def agent_needs_password(user: User) -> bool:
    """A login that cannot sign in yet: created by an invitation, or a space never
    activated. Its agent receives a link to choose a password."""
    return not user.is_active or not user.has_usable_password()


@transaction.atomic
def agent_add(
    *,
    authority: Authority,
    email: str,
    role: str,
    by: User,
    first_name: str = "",
    last_name: str = "",
) -> Agent:
    """Makes the login with this email an agent of the authority with `role`: the login
    that exists, or a new one without a password. A deactivated agent is reactivated with
    the new role. The person is emailed: a link to choose a password when the login cannot
    sign in yet, else the address of the back office."""
    _authority_lock(authority)
    user, _ = User.objects.get_or_create(
        email__iexact=email,
        defaults={
            "email": User.objects.normalize_email(email),
            "first_name": first_name,
            "last_name": last_name,
            "is_active": False,
            "password": make_password(None),
        },
    )
    agent, created = Agent.objects.get_or_create(
        authority=authority, user=user, defaults={"role": role, "is_active": True}
    )
    if created:
        audit_write(
            authority=authority,
            actor=by,
            action="agent.add",
            obj=agent,
            after={"email": user.email, "role": role, "is_active": True},
        )
    elif agent.is_active:
        raise AgentAlreadyActive(user.email)
    else:
        before = {"role": agent.role, "is_active": False}
        agent.role = role
        agent.is_active = True
        agent.save(update_fields=["role", "is_active", "updated_at"])
        audit_write(
            authority=authority,
            actor=by,
            action="agent.reactivate",
            obj=agent,
            before=before,
            after={"role": role, "is_active": True},
        )
    _agent_welcome_send(agent=agent, by=by)
    return agent


@transaction.atomic
def agent_role_set(*, agent: Agent, role: str, by: User) -> bool:
    """Gives the agent another role, from his next request on. False when it was his role
    already. Raises LastAdministrator rather than demote the last active administrator."""
    agent = _agent_locked(agent)
    if agent.role == role:
        return False
    if role != AgentRole.ADMINISTRATEUR:
        _keep_an_administrator(agent)
    before = {"role": agent.role}
    agent.role = role
    agent.save(update_fields=["role", "updated_at"])
    audit_write(
        authority=agent.authority,
        actor=by,
        action="agent.role_set",
        obj=agent,
        before=before,
        after={"role": role},
    )
    return True


@transaction.atomic
def agent_deactivate(*, agent: Agent, by: User) -> bool:
    """The agent no longer reaches the back office of this authority (his login and his
    other authorities stay). False when he was deactivated already."""
    agent = _agent_locked(agent)
    if not agent.is_active:
        return False
    _keep_an_administrator(agent)
    agent.is_active = False
    agent.save(update_fields=["is_active", "updated_at"])
    audit_write(
        authority=agent.authority,
        actor=by,
        action="agent.deactivate",
        obj=agent,
        before={"is_active": True, "role": agent.role},
        after={"is_active": False},
    )
    return True


@transaction.atomic
def agent_reactivate(*, agent: Agent, by: User) -> bool:
    agent = _agent_locked(agent)
    if agent.is_active:
        return False
    agent.is_active = True
    agent.save(update_fields=["is_active", "updated_at"])
    audit_write(
        authority=agent.authority,
        actor=by,
        action="agent.reactivate",
        obj=agent,
        before={"is_active": False},
        after={"is_active": True, "role": agent.role},
    )
    return True


@transaction.atomic
def agent_invitation_resend(*, agent: Agent, by: User) -> bool:
    """A new link to choose a password (the previous one may have expired). False when the
    login can sign in already: it needs no invitation."""
    if not agent_needs_password(agent.user):
        return False
    audit_write(
        authority=agent.authority,
        actor=by,
        action="agent.invite",
        obj=agent,
        after={"email": agent.user.email},
    )
    _agent_welcome_send(agent=agent, by=by)
    return True


def _agent_welcome_send(*, agent: Agent, by: User) -> None:
    user = agent.user
    context = {"agent": agent, "by": by, "login_url": reverse("backoffice:login")}
    if agent_needs_password(user):
        context["password_url"] = reverse(
            "backoffice:password_set",
            args=[encode_uid(user.pk), invitation_token.make_token(user)],
        )
        template = "agent_invitation"
    else:
        template = "agent_added"
    mail_enqueue(to=user.email, template=template, context=context, authority=agent.authority)


def _authority_lock(authority: Authority) -> None:
    """Serialises the changes to one authority's agents (two administrators demoting each
    other at once must not leave none)."""
    list(Authority.objects.select_for_update().filter(pk=authority.pk).values_list("pk"))


def _agent_locked(agent: Agent) -> Agent:
    _authority_lock(agent.authority)
    return Agent.objects.select_related("authority", "user").get(pk=agent.pk)


def _keep_an_administrator(agent: Agent) -> None:
    """Refuses to take away the last active administrator of the agent's authority."""
    if not (agent.is_active and agent.role == AgentRole.ADMINISTRATEUR):
        return
    others = (
        Agent.objects.filter(
            authority_id=agent.authority_id, role=AgentRole.ADMINISTRATEUR, is_active=True
        )
        .exclude(pk=agent.pk)
        .exists()
    )
    if not others:
        raise LastAdministrator


class AlreadyDecided(Exception):
    pass


def _account_create_from_opening(opening: AccountOpeningRequest) -> Account:
    return account_create(
        authority=opening.authority,
        values={
            "category": opening.legal_form,
            "civility": opening.civility,
            "last_name": opening.last_name,
            "first_name": opening.first_name,
            "email": opening.user.email,
            "phone": opening.phone,
            "mobile": opening.mobile,
            "billing_number": opening.number,
            "billing_number_suffix": opening.number_suffix,
            "billing_street": opening.street,
            "billing_line2": opening.complement,
            "billing_postal_code": opening.postal_code,
            "billing_city": opening.commune.name,
        },
        dwelling={
            "commune": opening.commune,
            "postal_code": opening.postal_code,
            "number": opening.number,
            "number_suffix": opening.number_suffix,
            "street": opening.street,
            "complement": opening.complement,
        },
        on=timezone.localdate(),
    )


@transaction.atomic
def opening_request_accept(
    *, opening_request: AccountOpeningRequest, agent_user: User, account: Account | None = None
) -> Account:
    """Validates the request: links the login to `account` (of the same authority) or to a
    new account, opens the login, and emails the person."""
    authority = opening_request.authority
    if account is not None and account.authority_id != authority.pk:
        raise ValueError("account of another authority")
    now = timezone.now()
    claimed = AccountOpeningRequest.objects.filter(
        pk=opening_request.pk, authority=authority, status=OpeningStatus.PENDING
    ).update(status=OpeningStatus.ACCEPTED, decided_at=now, decided_by=agent_user)
    if not claimed:
        raise AlreadyDecided
    created = account is None
    if created:
        account = _account_create_from_opening(opening_request)
    AccountOpeningRequest.objects.filter(pk=opening_request.pk).update(account=account)
    user = opening_request.user
    User.objects.filter(pk=user.pk, is_active=False).update(is_active=True, activated_at=now)
    user.is_active = True
    # The request's own audit entry says who linked the login: no second one.
    account_access_grant(user=user, account=account)
    webhook_event_record(
        authority=authority,
        event="account.opened",
        payload={
            "account_code": account.code,
            "account_created": created,
            "via": "opening_request",
            "opening_request_id": opening_request.pk,
        },
    )
    audit_write(
        authority=authority,
        actor=agent_user,
        action="opening_request.accept",
        obj=opening_request,
        before={"status": OpeningStatus.PENDING},
        after={
            "status": OpeningStatus.ACCEPTED,
            "account": account.code,
            "account_created": created,
        },
    )
    mail_enqueue(
        to=user.email,
        template="opening_accepted",
        context={
            "account": account,
            "login_url": reverse("accounts:login", args=[authority.slug]),
            "email": user.email,
        },
        authority=authority,
    )
    return account


@transaction.atomic
def opening_request_refuse(
    *, opening_request: AccountOpeningRequest, agent_user: User, reason: str
) -> None:
    """Refuses the request with a reason the person reads in the email."""
    authority = opening_request.authority
    refused = AccountOpeningRequest.objects.filter(
        pk=opening_request.pk, authority=authority, status=OpeningStatus.PENDING
    ).update(
        status=OpeningStatus.REFUSED,
        decided_at=timezone.now(),
        decided_by=agent_user,
        refusal_reason=reason,
    )
    if not refused:
        raise AlreadyDecided
    audit_write(
        authority=authority,
        actor=agent_user,
        action="opening_request.refuse",
        obj=opening_request,
        before={"status": OpeningStatus.PENDING},
        after={"status": OpeningStatus.REFUSED, "reason": reason},
    )
    mail_enqueue(
        to=opening_request.user.email,
        template="opening_refused",
        context={"reason": reason, "opening": opening_request},
        authority=authority,
    )


@transaction.atomic
def account_key_regenerate(*, account: Account, agent_user: User) -> str:
    """A new clé d'activation (identifiant portail); the old one stops working at once.
    The audit log says the key changed, never its value (a key opens an account)."""
    account.portal_key = portal_key_new(authority=account.authority)
    account.save(update_fields=["portal_key", "updated_at"])
    audit_write(
        authority=account.authority,
        actor=agent_user,
        action="account.key_regenerate",
        obj=account,
        before={"portal_key": KEY_MASKED},
        after={"portal_key": KEY_MASKED},
    )
    return account.portal_key


@transaction.atomic
def account_on_behalf_start(*, agent: Agent, account: Account, now) -> dict:
    """An agent opens the resident's space at the counter: returns the marker his session
    keeps (see levee/space/on_behalf.py), and audits it."""
    marker = marker_new(agent=agent, account=account, now=now)
    audit_write(
        authority=agent.authority,
        actor=agent.user,
        action="account.act_on_behalf_start",
        obj=account,
        after={"account": account.code, "expires_at": marker["expires_at"]},
    )
    return marker


@transaction.atomic
def account_on_behalf_stop(*, user: User, marker: dict, now) -> Account | None:
    """The agent leaves the resident's space (« Quitter »): audited when the marker was his
    and names an account that still exists; returns that account."""
    ids = marker_ids(marker)
    if ids is None:
        return None
    agent_pk, account_pk, authority_pk = ids
    agent = (
        Agent.objects.filter(pk=agent_pk, user=user, authority_id=authority_pk)
        .select_related("authority")
        .first()
    )
    account = Account.objects.filter(pk=account_pk, authority_id=authority_pk).first()
    if agent is None or account is None:
        return None
    expires_at = marker_expires_at(marker)
    audit_write(
        authority=agent.authority,
        actor=user,
        action="account.act_on_behalf_stop",
        obj=account,
        before={"account": account.code, "started_at": marker.get("started_at")},
        after={"left_at": now.isoformat(), "expired": expires_at is None or expires_at <= now},
    )
    return account
