from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpResponseBadRequest
from django.template.loader import render_to_string
from django.urls import Resolver404, resolve
from django.utils import timezone

from levee.lib.uploads import oversize_of


def answers_bad_characters(respond):
    """Marks a view whose clients read JSON, not pages: a NUL in its query string is
    answered by `respond(request, parameter)` (the parameter's name, "" for the path)
    instead of the HTML error page."""

    def mark(view):
        view.bad_characters_answer = respond
        return view

    return mark


class RejectNullCharactersMiddleware:
    """A NUL character has no business in a URL or a form, and PostgreSQL refuses it in
    text: answer 400 with the French error page before any view sees it (or the view's own
    JSON error, see answers_bad_characters)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        bad = None
        if "\x00" in request.path:
            bad = ""
        else:
            bad = next(
                (k for k, vs in request.GET.lists() if "\x00" in k or any("\x00" in v for v in vs)),
                None,
            )
        if bad is not None:
            respond = self._json_answer(request)
            if respond is not None:
                return respond(request, bad.replace("\x00", ""))
            return HttpResponseBadRequest(render_to_string("400.html"))
        return self.get_response(request)

    @staticmethod
    def _json_answer(request):
        try:
            match = resolve(request.path_info, getattr(request, "urlconf", None))
        except Resolver404:
            return None
        return getattr(match.func, "bad_characters_answer", None)

    def process_view(self, request, view_func, view_args, view_kwargs):
        # The form is read once its view is known: an upload over the limit its view
        # declares (levee.lib.uploads.upload_limit) is refused there, its body unread.
        if request.method != "POST" or oversize_of(request, view_func):
            return None
        if any("\x00" in v for _k, vs in request.POST.lists() for v in vs):
            return HttpResponseBadRequest(render_to_string("400.html"))
        return None


SESSION_EXPIRED = (
    "Votre session a expiré après une période d'inactivité : connectez-vous à nouveau."
)
LAST_ACTIVITY = "levee_last_activity"
AGENT_SESSION = "levee_agent_session"
# The last activity is written at most once a minute, not at each request.
ACTIVITY_RESOLUTION = 60


class IdleSessionMiddleware:
    """Ends a logged-in session idle for too long, on the server as well as in the browser.

    A session that ends with the browser (« Rester connecté » not ticked) lasts
    SESSION_IDLE_MINUTES without a request; a session that has entered the back office or
    the Django admin, AGENT_SESSION_IDLE_MINUTES, remembered or not. The person is then
    logged out and the page he asked for (its login page, for a page that needs one) says
    « Votre session a expiré… ».

    The clock starts at the login, written with the session the login saves anyway; a
    session logged in otherwise (a test's force_login) gets it at its next save, so that a
    page costs no write of its own."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated and LAST_ACTIVITY in request.session:
            self.check(request)
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if (
            request.user.is_authenticated
            and session is not None
            and session.modified
            and LAST_ACTIVITY not in session
        ):
            session[LAST_ACTIVITY] = int(timezone.now().timestamp())
            if request.path.startswith(staff_prefixes()):
                session[AGENT_SESSION] = True
        return response

    def check(self, request):
        session = request.session
        now = int(timezone.now().timestamp())
        if request.path.startswith(staff_prefixes()) and not session.get(AGENT_SESSION):
            session[AGENT_SESSION] = True
        limit = idle_limit(session)
        if limit is not None and now - session[LAST_ACTIVITY] > limit:
            logout(request)
            messages.info(request, SESSION_EXPIRED)
            return
        if now - session[LAST_ACTIVITY] >= ACTIVITY_RESOLUTION:
            session[LAST_ACTIVITY] = now


def staff_prefixes() -> tuple[str, ...]:
    prefixes = ["/backoffice/"]
    if settings.ADMIN_URL:
        prefixes.append("/" + settings.ADMIN_URL.lstrip("/"))
    return tuple(prefixes)


def idle_limit(session) -> int | None:
    """Seconds of inactivity the session may last; None: only its cookie's age bounds it."""
    limits = []
    if session.get(AGENT_SESSION):
        limits.append(settings.AGENT_SESSION_IDLE_MINUTES * 60)
    if session.get_expire_at_browser_close():
        limits.append(settings.SESSION_IDLE_MINUTES * 60)
    return min(limits) if limits else None
