from django.conf import settings
from django.core.checks import Error, register

HOST_MIDDLEWARE = "levee.authorities.middleware.AuthorityHostMiddleware"


@register
def host_check_first(app_configs, **kwargs):
    """ALLOWED_HOSTS = ["*", …] lets every host through Django's own check: only safe when
    AuthorityHostMiddleware, which checks it instead, runs before anything else."""
    if "*" in settings.ALLOWED_HOSTS and settings.MIDDLEWARE[:1] != [HOST_MIDDLEWARE]:
        return [
            Error(
                "ALLOWED_HOSTS contains '*' but AuthorityHostMiddleware is not the first of "
                "MIDDLEWARE: every host name would be served.",
                id="levee.E101",
            )
        ]
    return []
