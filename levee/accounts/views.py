from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.tokens import default_token_generator
from django.contrib.auth.views import PasswordResetConfirmView
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from levee.agents.selectors import agent_active_exists
from levee.authorities.forms import CommunePickerForm
from levee.authorities.models import Authority
from levee.authorities.selectors import authority_get_by_slug
from levee.identity import services as identity_services
from levee.identity import views as identity_views
from levee.lib import captcha, throttle, uploads
from levee.mailing.services import mail_enqueue
from levee.space.on_behalf import not_on_behalf

from . import selectors, services
from .access import (
    get_commune_for_opening,
    get_opening_request_for_link,
    get_pending_signup_for_link,
    get_pending_signup_for_session,
)
from .authentication import credentials_check, throttled_message
from .forms import (
    ChangePasswordForm,
    LoginForm,
    OpeningRequestForm,
    ResetRequestForm,
    ResetSetPasswordForm,
    SignupForm,
)
from .models import OpeningStatus, PendingSignup, User
from .tokens import activation_token, decode_uid, encode_uid, opening_request_pk_from_token

GENERIC_REFERENCES_ERROR = (
    "Nous ne trouvons pas de compte avec ce nom et cette référence usager. Vérifiez qu'ils "
    "sont identiques à ceux de votre facture."
)
FRANCECONNECT_NAME_ERROR = (
    "Le nom du titulaire de ce compte n'est pas celui de votre identité FranceConnect : "
    "votre espace ne peut pas être lié à cette identité. Vérifiez vos références, ou annulez "
    "la connexion avec FranceConnect."
)


# --- « Je crée mon espace » (seed 004) -------------------------------------------------


def signup(request, slug):
    """« Je crée mon espace »: a wrong name/reference pair gets its field error (throttled);
    right references always lead to « Vérifiez votre messagerie », whether the email is new
    (a pending sign-up and its activation link) or already has a login (an email to its
    owner saying how to get in)."""
    authority = authority_get_by_slug(slug)
    if not authority.signup_with_references:
        raise Http404
    # Identified by FranceConnect first: the account's holder must bear its family name.
    identity = identity_views.pending_identity(request)
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        ip = throttle.client_ip(request)
        email = form.cleaned_data["email"].strip()
        if throttle.is_blocked(throttle.SIGNUP, ip):
            form.add_error(None, throttled_message(throttle.SIGNUP))
        elif throttle.is_blocked(throttle.SIGNUP, email):
            # Counted for known and unknown addresses alike: it reveals nothing, and keeps
            # an address from being flooded with emails.
            form.add_error(None, throttled_message(throttle.SIGNUP))
        else:
            account = selectors.account_find_by_references(
                authority=authority,
                name=form.cleaned_data["name"],
                portal_key=form.cleaned_data["portal_key"],
            )
            if account is None:
                throttle.hit(throttle.SIGNUP, ip)
                form.add_error("portal_key", GENERIC_REFERENCES_ERROR)
            elif identity is not None and not account.matches_name(identity.family_name):
                throttle.hit(throttle.SIGNUP, ip)
                form.add_error("name", FRANCECONNECT_NAME_ERROR)
            else:
                throttle.hit(throttle.SIGNUP, email)
                pending = services.signup_with_references(
                    authority=authority,
                    account=account,
                    email=email,
                    password=form.cleaned_data["password"],
                )
                if identity is not None and pending is not None:
                    identity_services.signup_identity_attach(
                        pending_signup=pending, identity=identity
                    )
                request.session.pop(identity_views.PENDING_KEY, None)
                request.session["signup_email"] = email
                return redirect("accounts:signup_done", authority.slug)
    return render(
        request,
        "accounts/signup.html",
        {"authority": authority, "form": form, "identity": identity},
    )


def signup_done(request, slug):
    authority = authority_get_by_slug(slug)
    return render(
        request,
        "accounts/signup_done.html",
        {"authority": authority, "email": request.session.get("signup_email", "")},
    )


def activate(request, slug, uidb64, token):
    """The activation link of a pending sign-up: the login is created now, the email being
    proven; a login that took this email in the meantime is left as it is."""
    authority = authority_get_by_slug(slug)
    pending = get_pending_signup_for_link(authority, decode_uid(uidb64))
    if pending is None or not activation_token.check_token(pending, token):
        already = pending is not None and pending.used_at is not None
        return render(
            request,
            "accounts/activation_invalid.html",
            {"authority": authority, "already_active": already},
            status=400,
        )
    outcome = services.signup_activate(pending=pending)
    if outcome == services.SignupOutcome.LOGIN_EXISTS:
        return render(
            request, "accounts/login_exists.html", {"authority": authority, "what": "signup"}
        )
    if outcome == services.SignupOutcome.ALREADY_USED:
        return render(
            request,
            "accounts/activation_invalid.html",
            {"authority": authority, "already_active": True},
            status=400,
        )
    user = selectors.user_get_by_email(pending.email)
    if user is not None and identity_services.signup_identity_link(
        pending_signup=pending, user=user
    ):
        messages.success(
            request,
            "Votre espace est activé et lié à votre identité FranceConnect : connectez-vous avec "
            "FranceConnect, ou avec votre email et votre mot de passe.",
        )
        return redirect("accounts:login", authority.slug)
    messages.success(
        request, "Votre espace est activé : connectez-vous avec votre email et votre mot de passe."
    )
    return redirect("accounts:login", authority.slug)


# --- Log in, log out (flow 5) ------------------------------------------------------------


def _login_redirect(request, user, authority: Authority | None) -> str:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, {request.get_host()}, require_https=request.is_secure()
    ):
        return target
    accesses = list(selectors.accesses_for_user(user))
    if authority is not None and any(a.authority_id == authority.pk for a in accesses):
        return reverse("space:home", args=[authority.slug])
    if accesses:
        return reverse("space:home", args=[accesses[0].authority.slug])
    if agent_active_exists(user):
        return reverse("backoffice:dashboard")
    if user.is_staff and settings.ADMIN_URL:  # the admin may be switched off
        return reverse("admin:index")
    return reverse("space:no_account")


NOT_YET_ACTIVATED = (
    "Votre espace n'est pas encore activé : cliquez sur le lien d'activation reçu par "
    "email. Vous pouvez en demander un nouveau ci-dessous."
)
CONFIRM_FIRST = "Confirmez d'abord votre demande en cliquant sur le lien reçu par email."


def _inactive_reason(user: User) -> str:
    """Said to whoever typed the right password of a login that is not open."""
    opening = selectors.opening_request_latest(user)
    if opening is None:
        return "Votre espace n'est pas activé : contactez votre collectivité."
    if opening.status == OpeningStatus.EMAIL_PENDING:
        return CONFIRM_FIRST
    if opening.status == OpeningStatus.PENDING:
        return (
            "Votre demande d'ouverture de compte est en cours de traitement par la collectivité. "
            "Vous recevrez un email dès qu'elle sera validée."
        )
    return (
        "Votre demande d'ouverture de compte a été refusée : consultez l'email que vous avez reçu."
    )


def login(request, slug=None):
    authority = authority_get_by_slug(slug) if slug else None
    form = LoginForm(request.POST or None)
    show_resend = False
    if request.method == "POST" and form.is_valid():
        attempt = credentials_check(
            request, email=form.cleaned_data["email"], password=form.cleaned_data["password"]
        )
        user = attempt.user
        if attempt.throttled:
            form.add_error(None, throttled_message(seconds=attempt.retry_after))
        elif user is None:
            # The password may be the one of a sign-up or a request still waiting for its
            # link: say so, to whoever knows that password only.
            waiting = selectors.waiting_for_link(
                email=form.cleaned_data["email"], password=form.cleaned_data["password"]
            )
            if isinstance(waiting, PendingSignup):
                form.add_error(None, NOT_YET_ACTIVATED)
                show_resend = authority is not None
                request.session["resend_signup"] = waiting.pk if show_resend else None
            elif waiting is not None:
                form.add_error(None, CONFIRM_FIRST)
            else:
                form.add_error(None, "Identifiant ou mot de passe incorrect.")
            if attempt.retry_after:  # this failure starts a wait: say so now
                form.add_error(None, throttled_message(seconds=attempt.retry_after))
        elif not user.is_active:
            form.add_error(None, _inactive_reason(user))
        else:
            auth_login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            request.session.set_expiry(
                settings.SESSION_COOKIE_AGE if form.cleaned_data["remember"] else 0
            )
            return redirect(_login_redirect(request, user, authority))
    template = "accounts/login.html" if authority else "accounts/login_platform.html"
    return render(
        request,
        template,
        {
            "authority": authority,
            "form": form,
            "show_resend": show_resend,
            "next": request.GET.get("next", ""),
        },
    )


@require_POST
def activation_resend(request, slug):
    authority = authority_get_by_slug(slug)
    pending = get_pending_signup_for_session(request.session.pop("resend_signup", None))
    if pending is not None and not throttle.is_blocked(throttle.RESET, pending.email):
        throttle.hit(throttle.RESET, pending.email)
        services.activation_resend(pending=pending)
    messages.info(
        request, "Si votre espace attend son activation, un nouveau lien vient de vous être envoyé."
    )
    return redirect("accounts:login", authority.slug)


@require_POST
def logout(request, slug=None):
    """« Déconnexion »: a session opened with FranceConnect ends at FranceConnect too
    (its end of session with the ID token, `id_token_hint`), then comes back here."""
    landing = (
        reverse("authorities:home", args=[authority_get_by_slug(slug).slug])
        if slug
        else reverse("authorities:platform_home")
    )
    identity_views.remember_provider_session(request)
    auth_logout(request)
    at_provider = identity_views.logout_at_provider(request, landing=landing)
    if at_provider:
        return redirect(at_provider)
    messages.info(request, "Vous êtes déconnecté.")
    return redirect(landing)


# --- Password reset and change ------------------------------------------------------------

RESET_SENT = (
    "Si un espace existe avec cette adresse, un email vient de lui être envoyé avec un lien "
    "pour choisir un nouveau mot de passe. Pensez à vérifier vos courriers indésirables."
)


def password_reset(request, slug):
    authority = authority_get_by_slug(slug)
    form = ResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"].strip()
        ip = throttle.client_ip(request)
        if throttle.is_blocked(throttle.RESET, email) or throttle.is_blocked(throttle.LOGIN_IP, ip):
            form.add_error(None, throttled_message(throttle.RESET))
        else:
            throttle.hit(throttle.RESET, email)
            throttle.hit(throttle.LOGIN_IP, ip)
            user = selectors.user_get_by_email(email)
            if user is not None and user.is_active and user.has_usable_password():
                with transaction.atomic():
                    mail_enqueue(
                        to=user.email,
                        template="password_reset",
                        context={
                            "reset_url": reverse(
                                "accounts:password_reset_confirm",
                                args=[
                                    authority.slug,
                                    encode_uid(user.pk),
                                    default_token_generator.make_token(user),
                                ],
                            )
                        },
                        authority=authority,
                    )
            messages.info(request, RESET_SENT)
            return redirect("accounts:login", authority.slug)
    return render(request, "accounts/password_reset.html", {"authority": authority, "form": form})


class ResetConfirmView(PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    form_class = ResetSetPasswordForm

    def dispatch(self, request, *args, **kwargs):
        self.authority = authority_get_by_slug(kwargs["slug"])
        return super().dispatch(request, *args, **kwargs)

    def get_success_url(self):
        return reverse("accounts:login", args=[self.authority.slug])

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(
            self.request, "Votre mot de passe est modifié : connectez-vous avec le nouveau."
        )
        return response

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "authority": self.authority}


password_reset_confirm = ResetConfirmView.as_view()


@login_required
@not_on_behalf
def password_change(request, slug):
    authority = authority_get_by_slug(slug)
    form = ChangePasswordForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        update_session_auth_hash(request, user)
        messages.success(request, "Votre mot de passe est modifié.")
        return redirect("space:home", authority.slug)
    return render(request, "accounts/password_change.html", {"authority": authority, "form": form})


# --- « Ouvrir un compte maintenant » (seed 000) ---------------------------------------------


def opening_start(request, slug):
    """« Ouverture de mon compte », step « Commune »: the commune picker, kept to the
    communes the authority serves."""
    authority = authority_get_by_slug(slug)
    if not authority.signup_with_proof:
        raise Http404
    bound = "q" in request.GET or "commune" in request.GET
    picker = CommunePickerForm(request.GET if bound else None, authority=authority)
    if bound and picker.is_valid() and picker.choice:
        choice = picker.choice
        return redirect("accounts:opening_form", authority.slug, choice.insee, choice.postal_code)
    return render(
        request, "accounts/opening_commune.html", {"authority": authority, "picker": picker}
    )


@uploads.upload_limit()
def opening_form(request, slug, insee, postal_code):
    authority = authority_get_by_slug(slug)
    if not authority.signup_with_proof:
        raise Http404
    commune = get_commune_for_opening(authority, insee, postal_code)
    form = OpeningRequestForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        ip = throttle.client_ip(request)
        if throttle.is_blocked(throttle.OPENING, ip):
            form.is_valid()
            form.add_error(None, throttled_message(throttle.OPENING))
        elif form.is_valid():
            throttle.hit(throttle.OPENING, ip)
            data = {
                k: form.cleaned_data[k]
                for k in (
                    "legal_form",
                    "civility",
                    "last_name",
                    "first_name",
                    "phone",
                    "mobile",
                    "street",
                    "number",
                    "number_suffix",
                    "complement",
                )
            }
            # A known email gets the same page (its owner gets an email saying what to do).
            services.opening_request_submit(
                authority=authority,
                commune=commune,
                postal_code=postal_code,
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password"],
                data=data,
                proof=form.cleaned_data["proof"],
                proof_content_type=form.proof_content_type,
            )
            request.session["opening_email"] = form.cleaned_data["email"].strip()
            return redirect("accounts:opening_submitted", authority.slug)
    return render(
        request,
        "accounts/opening_form.html",
        {
            "authority": authority,
            "form": form,
            "commune": commune,
            "postal_code": postal_code,
            "altcha_challenge": captcha.challenge_json(),
            "altcha_strings": captcha.widget_strings_json(),
        },
    )


def opening_submitted(request, slug):
    authority = authority_get_by_slug(slug)
    return render(
        request,
        "accounts/opening_submitted.html",
        {"authority": authority, "email": request.session.get("opening_email", "")},
    )


def opening_confirm(request, slug, token):
    authority = authority_get_by_slug(slug)
    opening = get_opening_request_for_link(
        authority, opening_request_pk_from_token(token, max_age=settings.PASSWORD_RESET_TIMEOUT)
    )
    if opening is None:
        return render(
            request, "accounts/opening_confirm_invalid.html", {"authority": authority}, status=400
        )
    outcome = services.opening_request_confirm_email(opening=opening)
    if outcome == services.OpeningConfirmOutcome.LOGIN_EXISTS:
        return render(
            request, "accounts/login_exists.html", {"authority": authority, "what": "opening"}
        )
    first_time = outcome == services.OpeningConfirmOutcome.CONFIRMED
    return render(
        request,
        "accounts/opening_confirmed.html",
        {"authority": authority, "opening": opening, "first_time": first_time},
    )
