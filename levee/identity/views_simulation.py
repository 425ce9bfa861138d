"""The pages of the built-in imitation of FranceConnect and ProConnect (the embedded demo
only): « Choisissez une identité de test », then back to Levée with a code; the end of
session. Marked « Simulation » on every page; 404 when the imitation is off."""

from urllib.parse import urlencode, urlsplit

from django.http import Http404
from django.shortcuts import redirect, render

from . import simulation
from .models import Provider
from .oidc import simulation_allowed


def _provider_or_404(name: str) -> str:
    if not simulation_allowed() or name not in Provider.values:
        raise Http404
    return name


def _ours(request, url: str) -> bool:
    """A return address on the site that serves this page (never elsewhere)."""
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and parts.netloc == request.get_host()


def _back(url: str, **params) -> str:
    return f"{url}{'&' if '?' in url else '?'}{urlencode(params)}"


def authorize(request, provider):
    name = _provider_or_404(provider)
    params = request.POST if request.method == "POST" else request.GET
    redirect_uri = params.get("redirect_uri", "")
    if (
        params.get("client_id") != simulation.CLIENT_ID
        # Only the code flow: a request without response_type is refused here, not after
        # the identity is chosen.
        or params.get("response_type") != "code"
        or not _ours(request, redirect_uri)
        or not params.get("state")
        or not params.get("nonce")
    ):
        return render(
            request,
            "identity/simulation/refused.html",
            {"provider": Provider(name).label},
            status=400,
        )
    state = params["state"]
    if request.method == "POST":
        if "cancel" in request.POST:
            return redirect(_back(redirect_uri, error="access_denied", state=state))
        identity = simulation.identity_get(name, request.POST.get("identity", ""))
        if identity is not None:
            acr = (params.get("acr_values") or "eidas1").split()[0]
            code = simulation.code_issue(
                name,
                identity=identity,
                client_id=params["client_id"],
                redirect_uri=redirect_uri,
                nonce=params["nonce"],
                acr=acr,
            )
            return redirect(_back(redirect_uri, code=code, state=state))
    hidden = {
        k: params.get(k, "")
        for k in ("client_id", "redirect_uri", "state", "nonce", "acr_values", "response_type")
    }
    return render(
        request,
        "identity/simulation/authorize.html",
        {
            "provider": Provider(name).label,
            "provider_key": name,
            "identities": simulation.identities(name),
            "hidden": hidden,
            "missing_choice": request.method == "POST",
        },
    )


def logout(request, provider):
    name = _provider_or_404(provider)
    back = request.GET.get("post_logout_redirect_uri", "")
    hint_ok = simulation.id_token_valid(name, request.GET.get("id_token_hint", ""))
    return render(
        request,
        "identity/simulation/logout.html",
        {
            "provider": Provider(name).label,
            "back_url": _back(back, state=request.GET.get("state", ""))
            if _ours(request, back)
            else "",
            "hint_ok": hint_ok,
        },
    )
