"""The back office's « Agents »: an authority's administrator lists its agents, adds one by
email, changes a role, deactivates or reactivates one, resets one's second factor; the page
where an invited agent chooses his password."""

from django.contrib import messages
from django.contrib.auth.views import PasswordResetConfirmView
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.views.decorators.http import require_POST

from levee.accounts.forms import ResetSetPasswordForm
from levee.accounts.services import user_activate
from levee.agents import roles, selectors
from levee.agents import services as services_agents
from levee.agents.roles import ROLE_DESCRIPTIONS, AgentRole
from levee.agents.tokens import invitation_token
from levee.twofactor import selectors as twofactor_selectors
from levee.twofactor import services as twofactor_services
from levee.twofactor.access import is_verified

from .access import agent_required, get_authority_agent
from .forms_agents import ROLE_REQUIRED, AgentAddForm, AgentRoleForm

LAST_ADMINISTRATOR = (
    "La collectivité doit garder au moins un administrateur actif : nommez d'abord un autre "
    "agent « Administrateur »."
)


@agent_required(roles.AGENTS)
def agents(request):
    form = AgentAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            agent = services_agents.agent_add(
                authority=request.agent.authority,
                by=request.user,
                **form.cleaned_data,
            )
        except services_agents.AgentAlreadyActive:
            form.add_error("email", "Cette personne est déjà agent de la collectivité.")
        else:
            messages.success(
                request,
                f"{agent.user.email} est agent de la collectivité, avec le rôle "
                f"« {agent.get_role_display()} ». Un email l'en informe.",
            )
            return redirect("backoffice:agents")
    status = 400 if form.is_bound else 200
    found = list(
        twofactor_selectors.with_second_factor(
            selectors.agents_of(authority=request.agent.authority)
        )
    )
    administrators = [a for a in found if a.is_active and a.role == AgentRole.ADMINISTRATEUR]
    for agent in found:
        agent.needs_password = services_agents.agent_needs_password(agent.user)
        agent.is_last_administrator = administrators == [agent]
    return render(
        request,
        "backoffice/agents.html",
        {
            "form": form,
            "active": [a for a in found if a.is_active],
            "inactive": [a for a in found if not a.is_active],
            "roles": [(role, ROLE_DESCRIPTIONS[role]) for role in AgentRole],
        },
        status=status,
    )


@agent_required(roles.AGENTS)
@require_POST
def agent_role(request, pk):
    agent = get_authority_agent(request, pk)
    form = AgentRoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, ROLE_REQUIRED)
        return redirect("backoffice:agents")
    try:
        changed = services_agents.agent_role_set(
            agent=agent, role=form.cleaned_data["role"], by=request.user
        )
    except services_agents.LastAdministrator:
        messages.error(request, LAST_ADMINISTRATOR)
        return redirect("backoffice:agents")
    agent.refresh_from_db(fields=["role"])
    if changed:
        messages.success(
            request, f"{agent.user.email} a désormais le rôle « {agent.get_role_display()} »."
        )
    if agent.pk == request.agent.pk and agent.role != AgentRole.ADMINISTRATEUR:
        return redirect("backoffice:dashboard")
    return redirect("backoffice:agents")


@agent_required(roles.AGENTS)
@require_POST
def agent_deactivate(request, pk):
    agent = get_authority_agent(request, pk)
    try:
        services_agents.agent_deactivate(agent=agent, by=request.user)
    except services_agents.LastAdministrator:
        messages.error(request, LAST_ADMINISTRATOR)
        return redirect("backoffice:agents")
    messages.success(
        request, f"{agent.user.email} n'a plus accès au back office de la collectivité."
    )
    if agent.pk == request.agent.pk:
        return redirect("backoffice:dashboard")
    return redirect("backoffice:agents")


@agent_required(roles.AGENTS)
@require_POST
def agent_reactivate(request, pk):
    agent = get_authority_agent(request, pk)
    services_agents.agent_reactivate(agent=agent, by=request.user)
    messages.success(
        request,
        f"{agent.user.email} a de nouveau accès au back office, avec le rôle "
        f"« {agent.get_role_display()} ».",
    )
    return redirect("backoffice:agents")


@agent_required(roles.AGENTS)
@require_POST
def agent_invitation(request, pk):
    agent = get_authority_agent(request, pk)
    if services_agents.agent_invitation_resend(agent=agent, by=request.user):
        messages.success(
            request,
            f"Un nouveau lien pour choisir son mot de passe est envoyé à {agent.user.email}.",
        )
    else:
        messages.info(request, f"{agent.user.email} a déjà un mot de passe : aucun lien envoyé.")
    return redirect("backoffice:agents")


@agent_required(roles.AGENTS)
@require_POST
def agent_second_factor_reset(request, pk):
    """« Réinitialiser la double authentification » of an agent who lost his phone: he
    enrols again at his next page. Not for one's own without having presented it, nor
    for the operator's login (reset in the admin)."""
    agent = get_authority_agent(request, pk)
    if agent.user_id == request.user.pk and not is_verified(request):
        messages.error(
            request,
            "Pour réinitialiser votre propre double authentification, saisissez d'abord un "
            "code de votre application : sinon, demandez-le à un autre administrateur.",
        )
        return redirect("backoffice:agents")
    if agent.user.is_staff or agent.user.is_superuser:
        messages.error(
            request,
            f"{agent.user.email} est aussi opérateur de la plateforme : sa double "
            "authentification se réinitialise dans l'administration de la plateforme.",
        )
        return redirect("backoffice:agents")
    if twofactor_services.second_factor_reset(user=agent.user, by=request.user, agent=agent):
        messages.success(
            request,
            f"La double authentification de {agent.user.email} est réinitialisée : il "
            "l'activera de nouveau à sa prochaine connexion.",
        )
    else:
        messages.info(request, f"{agent.user.email} n'avait pas de double authentification.")
    return redirect("backoffice:agents")


class AgentPasswordSetView(PasswordResetConfirmView):
    """The link of an invitation: Django's password reset with the invitation's token, on
    the back office's page; the login, proven by the link, is activated with its password."""

    token_generator = invitation_token
    template_name = "backoffice/password_set.html"
    form_class = ResetSetPasswordForm
    success_url = reverse_lazy("backoffice:login")

    def form_valid(self, form):
        with transaction.atomic():
            response = super().form_valid(form)
            user_activate(user=form.user)
        messages.success(
            self.request,
            "Votre mot de passe est enregistré : connectez-vous au back office avec votre "
            "adresse email et ce mot de passe.",
        )
        return response


password_set = AgentPasswordSetView.as_view()
