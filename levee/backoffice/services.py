"""Agents' decisions on account opening requests (flow 4). Each one changes the request
exactly once (conditional update), links the login, emails the person and is audited."""

import secrets

from django.db import transaction
from django.db.models import IntegerField
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils import timezone

from levee.accounts.models import AccountAccess, AccountOpeningRequest, OpeningStatus, User
from levee.mailing.services import mail_enqueue
from levee.space.on_behalf import marker_expires_at, marker_ids, marker_new
from levee.subscribers.models import Account, Subscription

from .models import Agent, AuditEntry

# No 0/O, 1/I/L: a key is read on paper and typed by hand.
KEY_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ"


class AlreadyDecided(Exception):
    pass


def audit_write(
    *, authority, actor, action: str, obj, before: dict | None = None, after: dict | None = None
) -> None:
    AuditEntry.objects.create(
        authority=authority,
        actor=actor,
        action=action,
        object_type=obj._meta.label,
        object_id=str(obj.pk),
        before=before or {},
        after=after or {},
    )


def portal_key_new(*, authority) -> str:
    while True:
        key = "".join(secrets.choice(KEY_ALPHABET) for _ in range(8))
        if not Account.objects.filter(authority=authority, portal_key=key).exists():
            return key


def account_code_next(*, authority) -> str:
    """The next free numeric code usager of the authority, zero-padded to 5 digits."""
    numeric = (
        Account.objects.filter(authority=authority, code__regex=r"^[0-9]+$")
        .annotate(n=Cast("code", IntegerField()))
        .order_by("-n")
        .values_list("n", flat=True)
        .first()
    )
    return f"{(numeric or 0) + 1:05d}"


def _account_create_from_opening(opening: AccountOpeningRequest) -> Account:
    authority = opening.authority
    account = Account.objects.create(
        authority=authority,
        code=account_code_next(authority=authority),
        portal_key=portal_key_new(authority=authority),
        category=opening.legal_form,
        civility=opening.civility,
        last_name=opening.last_name,
        first_name=opening.first_name,
        email=opening.user.email,
        phone=opening.phone,
        mobile=opening.mobile,
        billing_number=opening.number,
        billing_number_suffix=opening.number_suffix,
        billing_street=opening.street,
        billing_line2=opening.complement,
        billing_postal_code=opening.postal_code,
        billing_city=opening.commune.name,
    )
    Subscription.objects.create(
        authority=authority,
        account=account,
        reference=account.code,
        kind="bac",
        subscribed_on=timezone.localdate(),
        commune=opening.commune,
        postal_code=opening.postal_code,
        number=opening.number,
        number_suffix=opening.number_suffix,
        street=opening.street,
        complement=opening.complement,
    )
    return account


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
    AccountAccess.objects.get_or_create(
        user=user, account=account, defaults={"authority": authority}
    )
    User.objects.filter(pk=user.pk, is_active=False).update(is_active=True, activated_at=now)
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
    """A new clé d'activation (identifiant portail); the old one stops working at once."""
    old = account.portal_key
    account.portal_key = portal_key_new(authority=account.authority)
    account.save(update_fields=["portal_key", "updated_at"])
    audit_write(
        authority=account.authority,
        actor=agent_user,
        action="account.key_regenerate",
        obj=account,
        before={"portal_key": old},
        after={"portal_key": account.portal_key},
    )
    return account.portal_key


@transaction.atomic
def account_access_revoke(*, access: AccountAccess, agent_user: User) -> None:
    """The agent dissociates a login from an account (the login and the account stay)."""
    audit_write(
        authority=access.authority,
        actor=agent_user,
        action="account.dissociate",
        obj=access.account,
        before={"login": access.user.email},
        after={},
    )
    access.delete()


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
