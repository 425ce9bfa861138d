from functools import wraps

from django.urls import URLPattern, path, re_path
from django.views.generic import RedirectView

from levee.lib.middleware import answers_bad_characters

from . import views
from .api import api
from .errors import error_response, invalid_parameter


def _nul_refused(request, parameter):
    error = invalid_parameter(
        parameter or "adresse", "le caractère nul (\\0, %00) n'est permis nulle part."
    )
    return error_response(error.status, error.code, error.message, **error.extra)


def _json_method_not_allowed(view):
    """ninja answers a method no operation has with a plain-text 405: ours is JSON."""

    @answers_bad_characters(_nul_refused)
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if response.status_code == 405 and "json" not in response.get("Content-Type", ""):
            allowed = [m.strip() for m in response.get("Allow", "GET").split(",") if m.strip()]
            return error_response(
                405,
                "method_not_allowed",
                f"Méthode {request.method} non permise à cette adresse, qui n'accepte que "
                f"{' ou '.join(allowed)}.",
                headers={"Allow": ", ".join(allowed)},
            )
        return response

    return wrapper


def _api_patterns():
    patterns, app_name, namespace = api.urls
    wrapped = [
        URLPattern(p.pattern, _json_method_not_allowed(p.callback), p.default_args, p.name)
        if isinstance(p, URLPattern)
        else p
        for p in patterns
    ]
    return wrapped, app_name, namespace


urlpatterns = [
    path("docs", views.docs, name="api_docs"),
    path("", RedirectView.as_view(pattern_name="api_docs")),
    path("", _api_patterns()),
    re_path(r"^(?P<rest>.*)$", answers_bad_characters(_nul_refused)(views.not_found)),
]
