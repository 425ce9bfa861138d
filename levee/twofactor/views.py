"""The second factor's pages (/securite/…): enrol an authenticator app with its QR code,
read the recovery codes once, present a code at a new session, and « Mon profil »'s
switch of a resident's space."""

from base64 import b32encode
from functools import wraps
from urllib.parse import urlencode, urlsplit

import django_otp
import segno
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe

from . import selectors, services
from .access import SPACE_SESSION_KEY, is_staff_target, is_verified, safe_target
from .forms import CodeForm, EnrolForm

CODES_SESSION_KEY = "twofactor_codes"
RENEWED_SESSION_KEY = "twofactor_codes_renewed"
WRONG_CODE = "Ce code n'est pas le bon, ou il a expiré : saisissez le code affiché maintenant."
THROTTLED = (
    "Trop de codes erronés. Par sécurité, réessayez dans "
    f"{services.CODE.window_seconds // 60} minutes."
)


def _logged_in(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            target = safe_target(request, default="")
            if target.startswith("/backoffice/") or is_staff_target(target):
                login = reverse("backoffice:login")
            else:
                login = reverse("accounts:login_platform")
            return redirect(f"{login}?{urlencode({'next': request.get_full_path()})}")
        return view(request, *args, **kwargs)

    return wrapper


def _context(request, target: str, **extra) -> dict:
    layout = "backoffice/base.html" if is_staff_target(target) else "base.html"
    return {"layout": layout, "next": target, **extra}


def _with_next(name: str, target: str) -> str:
    return f"{reverse(name)}?{urlencode({'next': target})}"


@_logged_in
def enrol(request):
    """« Activer la double authentification »: the QR code of a new authenticator app, and
    its first code to confirm it."""
    target = safe_target(request)
    if selectors.device_confirmed_exists(request.user):
        return redirect(_with_next("twofactor:verify", target))
    device = services.device_enrol_start(user=request.user)
    form = EnrolForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if services.code_blocked(user=request.user):
            form.add_error("code", THROTTLED)
        else:
            confirmed = services.device_confirm(user=request.user, code=form.cleaned_data["code"])
            if confirmed is None:
                form.add_error("code", WRONG_CODE)
            else:
                device, codes = confirmed
                django_otp.login(request, device)
                request.session[CODES_SESSION_KEY] = codes
                if urlsplit(target).path == reverse("twofactor:space_enable"):
                    # The resident enrolled to protect his space: that is what he asked,
                    # done now (no second confirmation after the recovery codes).
                    services.space_protection_enable(user=request.user)
                    request.session[SPACE_SESSION_KEY] = True
                return redirect(_with_next("twofactor:recovery_codes", target))
    qr = segno.make(device.config_url, error="m")
    secret = b32encode(device.bin_key).decode()
    context = _context(
        request,
        target,
        form=form,
        # segno draws the SVG from the device's URL only: no user input in the markup.
        qr_svg=mark_safe(
            qr.svg_inline(scale=5, light="#fff", title="Code QR à scanner", omitsize=True)
        ),
        secret=" ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
    )
    return render(request, "twofactor/enrol.html", context, status=400 if form.errors else 200)


@_logged_in
def recovery_codes(request):
    """The ten recovery codes, shown once just after the enrolment."""
    target = safe_target(request)
    codes = request.session.pop(CODES_SESSION_KEY, None)
    renewed = request.session.pop(RENEWED_SESSION_KEY, False)
    if not codes:
        return redirect(target)
    context = _context(request, target, codes=codes, renewed=renewed)
    return render(request, "twofactor/recovery_codes.html", context)


@_logged_in
def recovery_codes_renew(request):
    """« Générer de nouveaux codes de secours »: ten new codes replace the previous ones
    (used up, lost, or seen by someone else). Only in a session that presented its second
    factor, for a login that has an authenticator app."""
    target = safe_target(request)
    if not selectors.device_confirmed_exists(request.user):
        return redirect(_with_next("twofactor:enrol", target))
    if not is_verified(request):
        return redirect(_with_next("twofactor:verify", request.get_full_path()))
    if request.method == "POST":
        request.session[CODES_SESSION_KEY] = services.recovery_codes_new(user=request.user)
        request.session[RENEWED_SESSION_KEY] = True
        return redirect(_with_next("twofactor:recovery_codes", target))
    return render(request, "twofactor/recovery_codes_renew.html", _context(request, target))


@_logged_in
def verify(request):
    """« Code de vérification »: the second factor of this new session."""
    target = safe_target(request)
    if is_verified(request):
        return redirect(target)
    if not selectors.device_confirmed_exists(request.user):
        return redirect(_with_next("twofactor:enrol", target))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        attempt = services.code_check(user=request.user, code=form.cleaned_data["code"])
        if attempt.throttled:
            form.add_error("code", THROTTLED)
        elif attempt.device is None:
            form.add_error("code", WRONG_CODE)
        else:
            django_otp.login(request, attempt.device)
            if attempt.device.persistent_id.startswith("otp_static"):
                left = selectors.recovery_codes_left(request.user)
                messages.warning(
                    request,
                    f"Code de secours utilisé : il vous en reste {left}. Chaque code ne sert "
                    "qu'une fois.",
                )
            return redirect(target)
    status = 400 if form.errors else 200
    return render(
        request, "twofactor/verify.html", _context(request, target, form=form), status=status
    )


@_logged_in
def space_enable(request):
    """« Mon profil » → « Activer la double authentification » for the resident's space:
    enrol (or present a code) first, then confirm."""
    target = safe_target(request)
    if not is_verified(request):
        own = request.get_full_path()
        name = (
            "twofactor:verify"
            if selectors.device_confirmed_exists(request.user)
            else "twofactor:enrol"
        )
        return redirect(_with_next(name, own))
    if selectors.space_protected(request.user):
        return redirect(target)  # on already (just enrolled for it, or a second click)
    if request.method == "POST":
        services.space_protection_enable(user=request.user)
        request.session[SPACE_SESSION_KEY] = True
        messages.success(
            request,
            "Double authentification activée : votre espace vous demandera un code à chaque "
            "nouvelle connexion.",
        )
        return redirect(target)
    return render(request, "twofactor/space_enable.html", _context(request, target))


@_logged_in
def space_disable(request):
    """« Désactiver la double authentification » of the resident's space, with a current
    code."""
    target = safe_target(request)
    if not selectors.space_protected(request.user):
        return redirect(target)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        attempt = services.code_check(user=request.user, code=form.cleaned_data["code"])
        if attempt.throttled:
            form.add_error("code", THROTTLED)
        elif attempt.device is None:
            form.add_error("code", WRONG_CODE)
        else:
            services.space_protection_disable(
                user=request.user,
                keep_devices=selectors.is_operator(request.user)
                or selectors.is_agent(request.user),
            )
            request.session[SPACE_SESSION_KEY] = False
            messages.success(
                request,
                "Double authentification désactivée : votre espace ne demande plus que votre "
                "mot de passe.",
            )
            return redirect(target)
    status = 400 if form.errors else 200
    return render(
        request, "twofactor/space_disable.html", _context(request, target, form=form), status=status
    )
