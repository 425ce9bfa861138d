"""Acting on behalf (issue 4, point 6): at a counter, an agent opens a resident's space to
make a request for him. The agent stays logged in as himself; his session carries a marker
naming the account, which holds for that account only, in its authority only, while the agent
is still an active agent of it with a role of `roles.ACCOUNTS`, and for `DURATION` at most.
The session side (where the marker lives, what the space refuses) is levee/space/on_behalf.py.
"""

import datetime
from dataclasses import dataclass

from levee.subscribers.models import Account

from . import roles
from .models import Agent

DURATION = datetime.timedelta(minutes=30)


class OnBehalfEnded(Exception):
    """The session carries a marker that no longer holds (expired, role or agent changed,
    account gone): the space stays closed to this session until the agent leaves it, so a
    form left open can never land on another account."""


@dataclass(frozen=True)
class OnBehalf:
    """A live marker: the agent (with his login), the account and its authority."""

    agent: Agent
    account: Account
    expires_at: datetime.datetime

    @property
    def authority(self):
        return self.account.authority


def marker_new(*, agent: Agent, account: Account, now: datetime.datetime) -> dict:
    """What the session keeps (JSON-able): ids and times, nothing of the resident's."""
    return {
        "agent": agent.pk,
        "account": account.pk,
        "authority": account.authority_id,
        "started_at": now.isoformat(),
        "expires_at": (now + DURATION).isoformat(),
    }


def marker_ids(marker: dict) -> tuple[int, int, int] | None:
    """(agent, account, authority) of a marker, or None when it is not one we wrote."""
    ids = tuple(marker.get(key) for key in ("agent", "account", "authority"))
    if all(type(value) is int for value in ids):
        return ids
    return None


def marker_expires_at(marker: dict) -> datetime.datetime | None:
    try:
        expires_at = datetime.datetime.fromisoformat(marker["expires_at"])
    except (KeyError, TypeError, ValueError):
        return None
    return expires_at if expires_at.tzinfo is not None else None


def on_behalf_resolve(*, user, marker: dict, now: datetime.datetime) -> OnBehalf:
    """The live marker a session's `marker` stands for, checked against the database: the
    agent still active with a role of `roles.ACCOUNTS` in the account's authority, the
    account still there, the time not over; OnBehalfEnded otherwise."""
    ids, expires_at = marker_ids(marker), marker_expires_at(marker)
    if ids is None or expires_at is None or expires_at <= now:
        raise OnBehalfEnded
    agent_pk, account_pk, authority_pk = ids
    agent = (
        Agent.objects.filter(
            pk=agent_pk,
            user=user,
            authority_id=authority_pk,
            authority__is_active=True,
            is_active=True,
            role__in=roles.ACCOUNTS,
        )
        .select_related("user", "authority")
        .first()
    )
    account = (
        Account.objects.filter(pk=account_pk, authority_id=authority_pk)
        .select_related("authority")
        .first()
        if agent is not None
        else None
    )
    if account is None:
        raise OnBehalfEnded
    return OnBehalf(agent=agent, account=account, expires_at=expires_at)
