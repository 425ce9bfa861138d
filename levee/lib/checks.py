"""System checks of Levée's own settings, run by every management command (migrate,
runserver, check…) and by the WSGI start-up (levee/wsgi.py)."""

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security)
def secret_key_check(app_configs=None, **kwargs):
    """Outside the embedded mode (a DATABASE_URL or an https:// SITE_URL), a missing or
    embedded SECRET_KEY with DEBUG off is an error: sessions, activation and reset links
    signed with a key anyone can read would let anyone forge them."""
    if settings.EMBEDDED or settings.DEBUG:
        return []
    if settings.SECRET_KEY and settings.SECRET_KEY != settings.EMBEDDED_SECRET_KEY:
        return []
    return [
        checks.Error(
            "SECRET_KEY is not set: outside the embedded demo (DATABASE_URL or an https:// "
            "SITE_URL set) Levée refuses to start with the embedded, public key.",
            hint="Set SECRET_KEY to a long random value, e.g. the output of "
            "`python -c 'import secrets; print(secrets.token_urlsafe(64))'`.",
            id="levee.E001",
        )
    ]


@checks.register(checks.Tags.security)
def identity_simulation_check(app_configs=None, **kwargs):
    """The imitation of FranceConnect and ProConnect lets anyone in as its test identities:
    outside the embedded mode (a DATABASE_URL or an https:// SITE_URL) with DEBUG off, it is
    an error to turn it on."""
    if not getattr(settings, "IDENTITY_SIMULATION", False) or settings.EMBEDDED or settings.DEBUG:
        return []
    return [
        checks.Error(
            "IDENTITY_SIMULATION is on outside the embedded demo: its imitation of "
            "FranceConnect and ProConnect would let anyone log in as its test identities.",
            hint="Remove IDENTITY_SIMULATION, and set FRANCECONNECT_… and PROCONNECT_… to the "
            "providers' real settings (README, « FranceConnect et ProConnect »).",
            id="levee.E002",
        )
    ]


def startup_errors() -> list[str]:
    """The errors that must stop a server from starting, as lines to show."""
    return [
        str(message)
        for message in secret_key_check() + identity_simulation_check()
        if message.is_serious()
    ]
