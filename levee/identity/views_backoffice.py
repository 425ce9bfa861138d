"""« Connexion avec ProConnect » on the back office's « Agents » page: an « Administrateur »
requires ProConnect of his authority's agents (or no longer does), from a session he opened
with ProConnect: he has then seen that his own identity opens the back office, before his
password (and every colleague's) stops doing so."""

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse

from levee.agents import roles
from levee.backoffice.access import agent_required

from . import oidc, services
from .models import Provider
from .views import SESSION_KEY, post_only

NOT_FROM_PASSWORD = (
    "Connectez-vous avec ProConnect pour l'exiger : votre session a été ouverte avec un mot "
    "de passe, qui ne suffirait plus. Rien n'a été modifié."
)


@agent_required(roles.AGENTS)
@post_only(lambda request: reverse("backoffice:agents"))
def proconnect_policy(request):
    required = bool(request.POST.get("required"))
    if required and not oidc.is_enabled(Provider.PROCONNECT):
        # Nobody could log in any more.
        messages.error(
            request,
            "ProConnect n'est pas configuré sur cette plateforme : il ne peut pas être exigé.",
        )
        return redirect("backoffice:agents")
    opened = request.session.get(SESSION_KEY) or {}
    if required and opened.get("provider") != Provider.PROCONNECT:
        # Requiring it from a password session would end that very session, and nobody
        # would know yet whether ProConnect lets anyone of the authority in.
        messages.error(request, NOT_FROM_PASSWORD)
        return redirect("backoffice:agents")
    services.proconnect_policy_set(
        authority=request.agent.authority, required=required, agent_user=request.user
    )
    if required:
        messages.success(
            request, "Les agents de la collectivité se connectent désormais avec ProConnect."
        )
    else:
        messages.success(
            request,
            "Les agents de la collectivité peuvent de nouveau se connecter avec leur mot de passe.",
        )
    return redirect("backoffice:agents")
