"""FranceConnect for residents: « S'identifier avec FranceConnect » on an authority's login
page and on « Je crée mon espace », the provider's return, linking an identity to a login
(his password once, or his invoice references), « Mon profil »'s link and its removal, and
the logout at the provider when the person logs out of Levée."""

import logging
import secrets
from functools import wraps

from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse

from levee.accounts.authentication import credentials_check, throttled_message
from levee.accounts.forms import LoginForm
from levee.accounts.selectors import accesses_for_user
from levee.authorities.selectors import authority_active_by_slug, authority_get_by_slug
from levee.space.on_behalf import not_on_behalf, on_behalf_of, refused_response

from . import oidc, selectors, services
from .models import Provider

logger = logging.getLogger(__name__)

FLOW_KEY = "identity_flow"  # state, nonce and where to come back, for one flow at a time
PENDING_KEY = "identity_pending"  # an identity not linked yet, waiting for its proof
SESSION_KEY = "identity_session"  # provider and ID token of the session's login, for logout
LOGOUT_KEY = "identity_logout"  # the state of a logout at the provider, and where to land

FAILED = "La connexion avec FranceConnect n'a pas abouti. Réessayez, ou connectez-vous avec votre adresse mail et votre mot de passe."


def post_only(landing):
    """The view of a button (POST): its address opened directly (a bookmark, a reload, a link
    copied) leads to the page the button belongs to, `landing(request, **kwargs)`, rather
    than to an empty 405 page. Nothing is done."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method != "POST":
                return redirect(landing(request, *args, **kwargs))
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def _to_login(request, slug):
    return reverse("accounts:login", args=[slug])


def _to_profile(request, slug):
    return reverse("space:profile", args=[slug])


def _config_or_404(name: str) -> oidc.ProviderConfig:
    config = oidc.provider_config(name)
    if config is None:
        raise Http404
    return config


def flow_start(request, *, provider: str, callback: str, **flow) -> str:
    """Remembers a new state and nonce in the session and returns the provider's
    authorization URL; `callback` is the URL name the provider comes back to."""
    config = _config_or_404(provider)
    state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    request.session[FLOW_KEY] = {"provider": provider, "state": state, "nonce": nonce, **flow}
    return oidc.authorization_url(
        config,
        redirect_uri=request.build_absolute_uri(reverse(callback)),
        state=state,
        nonce=nonce,
    )


class FlowFailed(Exception):
    """The provider's answer is refused; `flow` is this session's flow, if it had one (where
    it started, to lead the person back there)."""

    def __init__(self, reason: str, flow: dict | None = None):
        super().__init__(reason)
        self.flow = flow or {}


def flow_finish(request, *, provider: str, callback: str) -> tuple[oidc.Identity | None, dict]:
    """The provider came back: the flow of this session (used once), then the identity it
    vouches for, or None when the person cancelled at the provider. Raises FlowFailed for a
    state that is not this session's, or an answer that does not pass every check."""
    flow = request.session.pop(FLOW_KEY, None)
    state = request.GET.get("state", "")
    if not flow or flow.get("provider") != provider or not state:
        raise FlowFailed("no flow in this session", flow if flow and state else None)
    if not secrets.compare_digest(state, flow["state"]):
        raise FlowFailed("wrong state", flow)
    if request.GET.get("error"):
        return None, flow
    config = _config_or_404(provider)
    try:
        identity = oidc.code_exchange(
            config,
            code=request.GET.get("code", ""),
            redirect_uri=request.build_absolute_uri(reverse(callback)),
            nonce=flow["nonce"],
        )
    except oidc.IdentityError as error:
        logger.warning("identity: %s refused: %s", provider, error)
        raise FlowFailed(str(error), flow) from error
    return identity, flow


def login_through(request, *, user, identity: oidc.Identity) -> None:
    """Opens the session of `user` for the identity: until the browser closes, and
    remembering the ID token so that logging out of Levée logs out at the provider too."""
    auth_login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    request.session.set_expiry(0)
    request.session[SESSION_KEY] = {"provider": identity.provider, "id_token": identity.id_token}


def _space_of(user, authority) -> str:
    accesses = list(accesses_for_user(user))
    if authority is not None and any(a.authority_id == authority.pk for a in accesses):
        return reverse("space:home", args=[authority.slug])
    if accesses:
        return reverse("space:home", args=[accesses[0].authority.slug])
    return reverse("space:no_account")


def failed_response(request, *, provider: str, authority=None, status: int = 400):
    """« Connexion avec … interrompue », leading back to the person's space when he is
    logged in, else to the login page the flow started from."""
    user = request.user
    space = None
    if provider == Provider.FRANCECONNECT and user.is_authenticated:
        space = _space_of(user, authority)
    return render(
        request,
        "identity/failed.html",
        {"authority": authority, "provider": Provider(provider).label, "space": space},
        status=status,
    )


# --- FranceConnect ----------------------------------------------------------------------


@post_only(_to_login)
def franceconnect_start(request, slug):
    """« S'identifier avec FranceConnect » (login page, « Je crée mon espace »), or « Lier
    mon identité FranceConnect » from « Mon profil » (`intent=link`, logged in)."""
    authority = authority_get_by_slug(slug)
    intent = "link" if request.POST.get("intent") == "link" else "login"
    if intent == "link" and not request.user.is_authenticated:
        return redirect("accounts:login", authority.slug)
    acting = on_behalf_of(request) if intent == "link" else None
    if acting is not None:  # his identity is the resident's own to link
        return refused_response(request, acting)
    return redirect(
        flow_start(
            request,
            provider=Provider.FRANCECONNECT,
            callback="identity:franceconnect_callback",
            slug=authority.slug,
            intent=intent,
            user=request.user.pk if intent == "link" else None,
        )
    )


def franceconnect_callback(request):
    """FranceConnect's return (one URL for every authority, as the provider registers it)."""
    try:
        identity, flow = flow_finish(
            request, provider=Provider.FRANCECONNECT, callback="identity:franceconnect_callback"
        )
    except FlowFailed as failure:
        slug = failure.flow.get("slug")
        authority = authority_active_by_slug(slug) if slug else None
        return failed_response(request, provider=Provider.FRANCECONNECT, authority=authority)
    authority = authority_get_by_slug(flow["slug"])
    if identity is None:
        messages.info(request, "Connexion avec FranceConnect annulée.")
        return redirect("accounts:login", authority.slug)
    if flow.get("intent") == "link":
        return _link_from_profile(request, authority, flow, identity)
    link = selectors.link_for_identity(provider=identity.provider, sub=identity.sub)
    if link is not None and link.user.is_active:
        login_through(request, user=link.user, identity=identity)
        services.identity_link_used(link=link)
        return redirect(_space_of(link.user, authority))
    # Not linked yet (or to a login that is closed): nothing is created nor linked until
    # the person proves which login is his.
    request.session[PENDING_KEY] = identity.as_session()
    return redirect("identity:franceconnect_link", authority.slug)


def _link_from_profile(request, authority, flow, identity):
    user = request.user
    if not user.is_authenticated or user.pk != flow.get("user"):
        return failed_response(request, provider=Provider.FRANCECONNECT, authority=authority)
    try:
        services.identity_link_create(user=user, identity=identity, logged_in=False)
    except services.LinkRefused as refusal:
        messages.error(request, str(refusal))
    else:
        request.session[SESSION_KEY] = {
            "provider": identity.provider,
            "id_token": identity.id_token,
        }
        messages.success(
            request, "Votre identité FranceConnect est maintenant liée à votre espace."
        )
    return redirect("space:profile", authority.slug)


def pending_identity(request) -> oidc.Identity | None:
    """The FranceConnect identity of this session still waiting to be linked, if any."""
    return oidc.Identity.from_session(request.session.get(PENDING_KEY))


def franceconnect_link(request, slug):
    """« Lier mon identité FranceConnect »: the identity reaches no login yet; the person
    proves which one is his with its password (once), or creates his space with his invoice
    references. An email alone never links anything."""
    authority = authority_get_by_slug(slug)
    identity = pending_identity(request)
    if identity is None:
        return redirect("accounts:login", authority.slug)
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        attempt = credentials_check(
            request, email=form.cleaned_data["email"], password=form.cleaned_data["password"]
        )
        if attempt.throttled:
            form.add_error(None, throttled_message(seconds=attempt.retry_after))
        elif attempt.user is None or not attempt.user.is_active:
            form.add_error(None, "Identifiant ou mot de passe incorrect.")
        else:
            try:
                services.identity_link_create(user=attempt.user, identity=identity, logged_in=True)
            except services.LinkRefused as refusal:
                form.add_error(None, str(refusal))
            else:
                request.session.pop(PENDING_KEY, None)
                login_through(request, user=attempt.user, identity=identity)
                messages.success(
                    request, "Votre identité FranceConnect est maintenant liée à votre espace."
                )
                return redirect(_space_of(attempt.user, authority))
    return render(
        request,
        "identity/link.html",
        {"authority": authority, "identity": identity, "form": form},
    )


@post_only(_to_login)
def franceconnect_cancel(request, slug):
    """« Annuler »: the identity is forgotten, nothing was linked."""
    authority = authority_get_by_slug(slug)
    request.session.pop(PENDING_KEY, None)
    messages.info(request, "Votre identité FranceConnect n'a été liée à aucun espace.")
    return redirect("accounts:login", authority.slug)


@post_only(_to_profile)
@login_required
@not_on_behalf
def franceconnect_unlink(request, slug):
    """« Retirer le lien avec FranceConnect » in « Mon profil »."""
    authority = authority_get_by_slug(slug)
    if services.identity_link_remove(user=request.user, provider=Provider.FRANCECONNECT):
        messages.success(
            request,
            "Le lien avec FranceConnect est retiré : connectez-vous désormais avec votre adresse "
            "mail et votre mot de passe.",
        )
    return redirect("space:profile", authority.slug)


# --- Logout at the provider ---------------------------------------------------------------


def logout_at_provider(request, *, landing: str) -> str | None:
    """Called by the logout views once Levée's session is ended (with the ID token read
    before): the provider's end-of-session URL with `id_token_hint`, whose return lands on
    `landing`; None when the session did not come from a provider."""
    ended = getattr(request, "_identity_ended", None)
    if not ended:
        return None
    config = oidc.provider_config(ended.get("provider", ""))
    if config is None:
        return None
    state = secrets.token_urlsafe(32)
    url = oidc.logout_url(
        config,
        id_token=ended.get("id_token", ""),
        state=state,
        post_logout_redirect_uri=request.build_absolute_uri(reverse("identity:logout_callback")),
    )
    if url is None:
        return None
    request.session[LOGOUT_KEY] = {"state": state, "landing": landing}
    return url


def remember_provider_session(request) -> None:
    """Before Levée's session ends: keep the provider and ID token it held."""
    request._identity_ended = request.session.get(SESSION_KEY)


def logout_callback(request):
    """The provider ended its session too and sent the browser back."""
    pending = request.session.pop(LOGOUT_KEY, None)
    state = request.GET.get("state", "")
    if pending and state and secrets.compare_digest(state, pending["state"]):
        messages.info(request, "Vous êtes déconnecté.")
        return redirect(pending["landing"])
    return redirect("authorities:platform_home")
