"""Acting on behalf (issue 4, point 6): at a counter, an agent opens a resident's space to
make a request for him. The agent stays logged in as himself; his session carries a marker
naming the account, which the space's access helper honours for that account only, in its
authority only, while the agent is still an active agent of it with a role of
`roles.ACCOUNTS`, and for `DURATION` at most.

What touches the resident's login (password, the login's email, associating or
dissociating accounts, his data-processing choices, his private calendar link) is refused
while acting: views say so with `@not_on_behalf`; templates hide it with `{% if on_behalf %}`.
"""

import datetime
from dataclasses import dataclass
from functools import wraps

from django.shortcuts import render
from django.utils import timezone

from levee.backoffice import roles
from levee.backoffice.models import Agent
from levee.subscribers.models import Account

SESSION_KEY = "on_behalf"
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


def marker_of(request) -> dict | None:
    marker = request.session.get(SESSION_KEY)
    return marker if isinstance(marker, dict) else None


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


def on_behalf_of(request) -> OnBehalf | None:
    """The account this session acts for, checked on every request (read once per request);
    None when it acts for nobody; OnBehalfEnded when its marker no longer holds."""
    if hasattr(request, "_on_behalf"):
        return request._on_behalf
    marker = marker_of(request)
    if marker is None or not request.user.is_authenticated:
        request._on_behalf = None
        return None
    ids, expires_at = marker_ids(marker), marker_expires_at(marker)
    if ids is None or expires_at is None or expires_at <= timezone.now():
        raise OnBehalfEnded
    agent_pk, account_pk, authority_pk = ids
    agent = (
        Agent.objects.filter(
            pk=agent_pk,
            user=request.user,
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
    request._on_behalf = OnBehalf(agent=agent, account=account, expires_at=expires_at)
    return request._on_behalf


def ended_response(request):
    """The page every space URL shows once the marker no longer holds: leave (the back
    office's account page then opens it again if need be)."""
    return render(request, "space/on_behalf_ended.html", {}, status=403)


def refused_response(request, acting: OnBehalf):
    """What a page reserved to the resident answers an agent acting for him: nothing ran."""
    return render(
        request,
        "space/on_behalf_refused.html",
        {"on_behalf": acting, "authority": acting.authority},
        status=403,
    )


def not_on_behalf(view):
    """For a page that only the resident himself may use: refused (403, nothing changes)
    while an agent acts on his behalf."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        acting = on_behalf_of(request)
        if acting is not None:
            return refused_response(request, acting)
        return view(request, *args, **kwargs)

    return wrapper
