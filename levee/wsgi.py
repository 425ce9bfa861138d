import os

from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "levee.settings")
application = get_wsgi_application()

# gunicorn runs no system check: the ones that make production unsafe stop it here.
from levee.lib.checks import startup_errors  # noqa: E402

if errors := startup_errors():
    raise ImproperlyConfigured("\n".join(errors))
