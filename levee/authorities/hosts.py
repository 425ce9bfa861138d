"""Authorities' own host names (Authority.host): which authority a host serves, and the
links drawn for it. On such a host the portal's URLs lose their /<slug>/ prefix
(levee/urls_host.py): the `hostslug` converter stands for the host's own authority with an
empty string, and for another one with its slug, so that `reverse()` gives root-relative
links there and the views still receive their `slug`."""

import contextlib
import contextvars
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.urls import get_urlconf, reverse, set_urlconf

from .models import Authority

HOST_URLCONF = "levee.urls_host"
CACHE_KEY = "authority-hosts"
# The map is read again after this long even if no save forgot it (an authority
# deactivated by a service); a save in the admin forgets it at once.
CACHE_SECONDS = 300

# The slug of the authority whose host the current request (or email) is drawn for.
host_slug: contextvars.ContextVar[str | None] = contextvars.ContextVar("host_slug", default=None)


def authority_hosts() -> dict[str, str]:
    """{host name: slug} of the active authorities that have one, kept in the shared cache
    (every process sees a change at once)."""
    hosts = cache.get(CACHE_KEY)
    if hosts is None:
        hosts = dict(
            Authority.objects.filter(is_active=True).exclude(host="").values_list("host", "slug")
        )
        cache.set(CACHE_KEY, hosts, CACHE_SECONDS)
    return hosts


def authority_hosts_forget() -> None:
    """After an authority's host name (or its being active) changed."""
    cache.delete(CACHE_KEY)


def authority_hosts_changed(sender, **kwargs) -> None:
    """post_save and post_delete of an Authority (AuthoritiesConfig.ready); a queryset's
    update() sends neither: call authority_hosts_forget() after one."""
    authority_hosts_forget()


def authority_site_url(authority) -> str:
    """Where the authority's pages are: its own host, with the platform's scheme, or
    SITE_URL."""
    if authority is not None and authority.host:
        return f"{urlsplit(settings.SITE_URL).scheme or 'https'}://{authority.host}"
    return settings.SITE_URL


@contextlib.contextmanager
def authority_links(authority):
    """Draws links for `authority` (None: the platform) whatever the current request's
    host: inside, `reverse()` and `{% url %}` give the paths of its host (or of the
    platform), and the block receives the site's address to put before them."""
    previous = get_urlconf()
    own_host = authority is not None and bool(authority.host)
    set_urlconf(HOST_URLCONF if own_host else None)
    token = host_slug.set(authority.slug if own_host else None)
    try:
        yield authority_site_url(authority)
    finally:
        host_slug.reset(token)
        set_urlconf(previous)


class HostSlugConverter:
    """`<hostslug:slug>` in levee/urls_host.py: empty for the host's own authority, `slug/`
    for another (a link to the space of a second home's authority). Only the empty form is
    served there; `slug/` paths go to `views_hosts.elsewhere`, which sends them on."""

    regex = r"(?:[a-z0-9]+(?:-[a-z0-9]+)*/)?"

    def to_python(self, value: str) -> str:
        slug = host_slug.get()
        if value or slug is None:
            raise ValueError(value)  # not this pattern: the next ones are tried
        return slug

    def to_url(self, value: str) -> str:
        return "" if value == host_slug.get() else f"{value}/"


def authority_absolute_url(authority, name: str, *, args=()) -> str:
    """The absolute address of the URL named `name` for `authority`: on its own host when
    it has one (for emails and documents, drawn outside its requests)."""
    with authority_links(authority) as site_url:
        return site_url + reverse(name, args=args)


def host_paths(authority, values: dict) -> dict:
    """`values` for a message of `authority`: on its own host, the paths reversed on the
    platform (`/<slug>/…`, as the views hand them to `mail_enqueue`) lose their prefix, so
    that `{{ SITE_URL }}{{ reset_url }}` is an address of that host."""
    if authority is None or not authority.host:
        return values
    prefix = f"/{authority.slug}/"
    return {
        key: "/" + value[len(prefix) :]
        if isinstance(value, str) and value.startswith(prefix)
        else value
        for key, value in values.items()
    }
