import re

from django.conf import settings

from .access import SPACE_SESSION_KEY, admin_prefix, second_factor_redirect
from .selectors import is_operator, space_protected

SPACE_PATH = re.compile(r"^/(?:[^/]+/)?espace/")


class SecondFactorMiddleware:
    """Asks for the second factor where no view decorator can: the operator's admin (when
    TWO_FACTOR_REQUIRED) and the space of a resident who turned it on in « Mon profil »
    (whatever the setting). The back office asks in its own access decorator."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self._gate(request) or self.get_response(request)

    def _gate(self, request):
        path = request.path_info
        prefix = admin_prefix()
        if prefix and path.startswith(prefix):
            if not settings.TWO_FACTOR_REQUIRED or not request.user.is_authenticated:
                return None
            if not is_operator(request.user) or path == f"{prefix}logout/":
                return None  # the admin's own login page refuses him
            return second_factor_redirect(request, request.get_full_path())
        if SPACE_PATH.match(path) and request.user.is_authenticated:
            protected = request.session.get(SPACE_SESSION_KEY)
            if protected is None:  # a session opened before the flag existed
                protected = space_protected(request.user)
                request.session[SPACE_SESSION_KEY] = protected
            if protected:
                return second_factor_redirect(request, request.get_full_path())
        return None


def remember_space_protection(sender, request, user, **kwargs):
    """At each login (user_logged_in): whether this login's space asks for a code."""
    if request is not None and hasattr(request, "session"):
        request.session[SPACE_SESSION_KEY] = space_protected(user)
