"""The platform's own host names. ALLOWED_HOSTS may start with "*": the host is then
checked by levee.authorities.middleware (first of MIDDLEWARE), which also serves the
authorities' own host names, read from the database, without a restart."""

from django.conf import settings


def platform_hosts() -> list[str]:
    """The patterns of ALLOWED_HOSTS that name the platform ("*" left out)."""
    return [host for host in settings.ALLOWED_HOSTS if host != "*"]
