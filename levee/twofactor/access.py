"""Where a session without its second factor is sent: to enrol (no authenticator app yet)
or to the code page, then back to where it was going. Used by the back office's access
decorator and login, and by the middleware guarding the admin and protected spaces."""

from urllib.parse import urlencode

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from .selectors import device_confirmed_exists

# Whether the resident's space asks for a code, remembered in the session at login (so
# that the space's pages cost no query for it).
SPACE_SESSION_KEY = "twofactor_space"
# Set by a login through ProConnect whose identity says a second factor was presented
# there (its `amr` holds « mfa »): the provider's factor stands for ours this session.
PROVIDER_VERIFIED_KEY = "twofactor_by_provider"


def is_verified(request) -> bool:
    """This session presented a code (django-otp's OTPMiddleware sets is_verified; a user
    just logged in by the view itself has not got it yet), or logged in through ProConnect
    with its own second factor."""
    if request.user.is_authenticated and request.session.get(PROVIDER_VERIFIED_KEY):
        return True
    check = getattr(request.user, "is_verified", None)
    return bool(check and check())


def second_factor_redirect(request, target: str):
    """None when the session has presented its second factor, else the redirect to enrol
    or to « Code de vérification », which come back to `target`."""
    if is_verified(request):
        return None
    name = "twofactor:verify" if device_confirmed_exists(request.user) else "twofactor:enrol"
    return redirect(f"{reverse(name)}?{urlencode({'next': target})}")


def admin_prefix() -> str | None:
    return f"/{settings.ADMIN_URL}" if settings.ADMIN_URL else None


def safe_target(request, default: str = "/") -> str:
    """The `next` of the query (or form) when it is a path of this site, else `default`."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if (
        target.startswith("/")
        and not target.startswith("//")
        and url_has_allowed_host_and_scheme(target, {request.get_host()})
    ):
        return target
    return default


def is_staff_target(target: str) -> bool:
    """The back office or the admin: pages drawn in the back office's layout."""
    prefix = admin_prefix()
    return target.startswith("/backoffice/") or bool(prefix and target.startswith(prefix))
