"""An authority's administrator manages its agents: adds one by email, changes a role,
deactivates or reactivates one. Every change is audited; the authority always keeps an
active « Administrateur »."""

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.urls import reverse

from levee.accounts.models import User
from levee.accounts.tokens import encode_uid
from levee.authorities.models import Authority
from levee.mailing.services import mail_enqueue

from .models import Agent, AgentRole
from .services import audit_write
from .tokens import invitation_token


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
