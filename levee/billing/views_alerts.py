"""« Ne plus recevoir cette alerte », from a usage alert: the email's signed link, no login."""

from django.http import Http404
from django.shortcuts import render

from levee.authorities.selectors import authority_get_by_slug

from . import services_alerts


def usage_alert_unsubscribe(request, slug, token):
    """The page asks for one click (a POST), so that a mail filter opening the link turns
    nothing off; a second button turns the alerts back on."""
    authority = authority_get_by_slug(slug)
    account = services_alerts.account_from_token(authority, token)
    if account is None:
        raise Http404
    done = None
    if request.method == "POST":
        if request.POST.get("action") == "on":
            services_alerts.usage_alerts_turn_on(account=account)
            done = "on"
        else:
            services_alerts.usage_alerts_turn_off(account=account)
            done = "off"
    return render(
        request,
        "billing/usage_alert_unsubscribe.html",
        {"authority": authority, "done": done},
    )
