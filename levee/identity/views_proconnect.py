"""« S'identifier avec ProConnect » at the agents' login (/backoffice/connexion/): an agent
whose ProConnect identity (the email of his organisation) is the login of an active agent of
an active authority is let in; the second factor the back office asks is then the one
ProConnect checked (its `amr` says « mfa »), not asked again. Nobody else gets in, and no
login is created."""

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse

from levee.accounts.selectors import user_get_by_email
from levee.agents.selectors import agent_active_exists
from levee.twofactor.access import PROVIDER_VERIFIED_KEY, second_factor_redirect

from . import services
from .models import Provider
from .views import (
    FlowFailed,
    failed_response,
    flow_finish,
    flow_start,
    login_through,
    post_only,
)

CALLBACK = "identity:proconnect_callback"


@post_only(lambda request: reverse("backoffice:login"))
def start(request):
    target = request.POST.get("next", "")
    return redirect(
        flow_start(
            request,
            provider=Provider.PROCONNECT,
            callback=CALLBACK,
            next=target if target.startswith("/backoffice/") else "",
        )
    )


def callback(request):
    try:
        identity, flow = flow_finish(request, provider=Provider.PROCONNECT, callback=CALLBACK)
    except FlowFailed:
        return failed_response(request, provider=Provider.PROCONNECT)
    if identity is None:
        messages.info(request, "Connexion avec ProConnect annulée.")
        return redirect("backoffice:login")
    user = user_get_by_email(identity.email) if identity.email else None
    if (
        user is None
        or not user.is_active
        or not agent_active_exists(user, in_active_authority=True)
    ):
        return render(
            request, "identity/proconnect_unknown.html", {"identity": identity}, status=403
        )
    try:
        services.proconnect_link_record(user=user, identity=identity)
    except services.LinkRefused:
        return render(
            request, "identity/proconnect_unknown.html", {"identity": identity}, status=403
        )
    login_through(request, user=user, identity=identity)
    if "mfa" in identity.amr:
        request.session[PROVIDER_VERIFIED_KEY] = Provider.PROCONNECT.value
    target = flow.get("next") or reverse("backoffice:dashboard")
    if settings.TWO_FACTOR_REQUIRED:
        return second_factor_redirect(request, target) or redirect(target)
    return redirect(target)
