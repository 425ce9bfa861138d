"""The receiver of `user_logged_in` (connected in apps.py): it only calls the service."""

from django.conf import settings

from levee.lib.throttle import client_ip

from .models import ConnectionVia
from .services import connection_record


def connection_via(request) -> str:
    """Which door the login came through: the back office, the operator's admin, or else
    the residents' space."""
    match = getattr(request, "resolver_match", None)
    namespace = getattr(match, "namespace", "") or ""
    path = getattr(request, "path", "") or ""
    if namespace == "admin" or (
        getattr(settings, "ADMIN_URL", "") and path.startswith("/" + settings.ADMIN_URL)
    ):
        return ConnectionVia.ADMIN
    if namespace.startswith("backoffice") or path.startswith("/backoffice/"):
        return ConnectionVia.BACKOFFICE
    return ConnectionVia.SPACE


def connection_on_login(sender, request, user, **kwargs):
    if request is None:
        return
    connection_record(
        user=user,
        ip_address=client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", ""),
        via=connection_via(request),
    )
