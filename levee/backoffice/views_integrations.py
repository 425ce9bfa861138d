"""The back office's « Clés d'API » and « Webhooks », for an « Administrateur » only: the
keys an authority's software calls the API with, and the URLs it is told events at. A
secret is shown once, on the page the creation leads to, then never again."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from levee.agents import roles
from levee.integrations import selectors
from levee.integrations import services as integrations
from levee.integrations.access import get_api_key_for_agent, get_webhook_for_agent

from .access import agent_required
from .forms_integrations import ApiKeyForm, RevokeForm, WebhookForm

# The secret just created, kept in the (server-side) session for the next page only.
SECRET_SESSION_KEY = "integrations_secret_once"


def _secret_pop(request, kind: str) -> dict | None:
    shown = request.session.pop(SECRET_SESSION_KEY, None)
    if shown and shown.get("kind") == kind:
        return shown
    return None


@agent_required(roles.INTEGRATIONS)
def api_keys(request):
    """« Clés d'API »: the authority's keys with their rights and last use, and « Créer la
    clé »; the key just created is shown once."""
    form = ApiKeyForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            key, raw = integrations.api_key_create(
                authority=request.agent.authority,
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                expires_at=form.expires_at(),
                created_by=request.user,
            )
        except integrations.IntegrationRefused as refused:
            form.add_error(None, str(refused))
        else:
            request.session[SECRET_SESSION_KEY] = {"kind": "key", "name": key.name, "secret": raw}
            return redirect("backoffice:api_keys")
    return render(
        request,
        "backoffice/api_keys.html",
        {
            "form": form,
            "keys": list(selectors.api_keys_of(authority=request.agent.authority)),
            "created": _secret_pop(request, "key"),
        },
        status=400 if form.is_bound else 200,
    )


@agent_required(roles.INTEGRATIONS)
def api_key_revoke(request, pk):
    """« Révoquer la clé », after a confirmation."""
    key = get_api_key_for_agent(request, pk)
    if key.revoked_at is not None:
        messages.info(request, f"La clé « {key.name} » est déjà révoquée.")
        return redirect("backoffice:api_keys")
    form = RevokeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        integrations.api_key_revoke(key=key, by=request.user)
        messages.success(
            request, f"La clé « {key.name} » est révoquée : elle est refusée dès maintenant."
        )
        return redirect("backoffice:api_keys")
    return render(
        request,
        "backoffice/api_key_revoke.html",
        {"key": key, "form": form},
        status=400 if form.is_bound else 200,
    )


@agent_required(roles.INTEGRATIONS)
def webhooks(request):
    """« Webhooks »: the authority's registered URLs and their events, and « Enregistrer le
    webhook »; the signing secret of the one just registered is shown once."""
    form = WebhookForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint, secret = integrations.webhook_endpoint_create(
                authority=request.agent.authority,
                url=form.cleaned_data["url"],
                events=form.cleaned_data["events"],
                created_by=request.user,
            )
        except integrations.IntegrationRefused as refused:
            form.add_error(None, str(refused))
        else:
            request.session[SECRET_SESSION_KEY] = {
                "kind": "webhook",
                "name": endpoint.url,
                "secret": secret,
            }
            return redirect("backoffice:webhooks")
    return render(
        request,
        "backoffice/webhooks.html",
        {
            "form": form,
            "endpoints": list(selectors.webhooks_of(authority=request.agent.authority)),
            "created": _secret_pop(request, "webhook"),
        },
        status=400 if form.is_bound else 200,
    )


@agent_required(roles.INTEGRATIONS)
def webhook_detail(request, pk):
    """A webhook's deliveries: event, status, attempts, the receiver's response."""
    endpoint = get_webhook_for_agent(request, pk)
    page = Paginator(selectors.deliveries_of(endpoint=endpoint), 50).get_page(
        request.GET.get("page")
    )
    return render(request, "backoffice/webhook_detail.html", {"endpoint": endpoint, "page": page})


@agent_required(roles.INTEGRATIONS)
@require_POST
def webhook_disable(request, pk):
    """« Désactiver ce webhook »: no event is sent to it any more."""
    endpoint = get_webhook_for_agent(request, pk)
    if integrations.webhook_endpoint_disable(endpoint=endpoint, by=request.user):
        messages.success(
            request, f"Le webhook {endpoint.url} est désactivé : plus rien ne lui est envoyé."
        )
    return redirect("backoffice:webhook_detail", endpoint.pk)
