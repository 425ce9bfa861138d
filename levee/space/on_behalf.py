"""Acting on behalf (issue 4, point 6): at a counter, an agent opens a resident's space to
make a request for him. The agent stays logged in as himself; his session carries a marker
naming the account, which the space's access helper honours while the marker holds
(levee/agents/on_behalf.py says when: that account only, for `DURATION` at most…).

What touches the resident's login (password, the login's email, associating or
dissociating accounts, his data-processing choices, his private calendar link) is refused
while acting: views say so with `@not_on_behalf`; templates hide it with `{% if on_behalf %}`.
"""

from functools import wraps

from django.shortcuts import render
from django.utils import timezone

from levee.agents.on_behalf import OnBehalf, on_behalf_resolve

SESSION_KEY = "on_behalf"


def marker_of(request) -> dict | None:
    marker = request.session.get(SESSION_KEY)
    return marker if isinstance(marker, dict) else None


def on_behalf_of(request) -> OnBehalf | None:
    """The account this session acts for, checked on every request (read once per request);
    None when it acts for nobody; OnBehalfEnded when its marker no longer holds."""
    if hasattr(request, "_on_behalf"):
        return request._on_behalf
    marker = marker_of(request)
    if marker is None or not request.user.is_authenticated:
        request._on_behalf = None
        return None
    request._on_behalf = on_behalf_resolve(user=request.user, marker=marker, now=timezone.now())
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
