"""The URLs of an authority's own host name (Authority.host, levee.authorities.middleware):
the platform's URLs (levee/urls.py) with their /<slug>/ prefix taken off, so that the
authority's portal, its Ecocito-compatible paths and the API are served at the root and
`reverse()` draws root-relative links; without the operator's admin. A path still under
/<slug>/ is sent on (`views_hosts.elsewhere`)."""

from django.urls import URLPattern, URLResolver, re_path, register_converter
from django.urls.resolvers import RoutePattern

from levee import urls as platform
from levee.authorities.hosts import HostSlugConverter
from levee.authorities.views_hosts import elsewhere

register_converter(HostSlugConverter, "hostslug")

SLUG = "<slug:slug>/"


def _slugged(pattern) -> bool:
    return isinstance(pattern, RoutePattern) and str(pattern).startswith(SLUG)


def _without_slug(pattern) -> RoutePattern:
    route = "<hostslug:slug>" + str(pattern)[len(SLUG) :]
    return RoutePattern(route, name=pattern.name, is_endpoint=pattern._is_endpoint)


def host_patterns(patterns) -> list:
    """`patterns` for an authority's host: each /<slug>/… one without its prefix, before
    the platform's own paths of its list (the authority's home takes « / », its login
    « /connexion/ »)."""
    slugged, others = [], []
    for entry in patterns:
        if isinstance(entry, URLResolver):
            if entry.app_name == "admin":
                continue  # the operator's admin is the platform's only
            prefixed = _slugged(entry.pattern)
            pattern = _without_slug(entry.pattern) if prefixed else entry.pattern
            entry = URLResolver(
                pattern,
                host_patterns(entry.url_patterns),
                entry.default_kwargs,
                entry.app_name,
                entry.namespace,
            )
            (slugged if prefixed else others).append(entry)
        elif _slugged(entry.pattern):
            slugged.append(
                URLPattern(
                    _without_slug(entry.pattern), entry.callback, entry.default_args, entry.name
                )
            )
        else:
            others.append(entry)
    return slugged + others


urlpatterns = [
    *host_patterns(platform.urlpatterns),
    re_path(r"^(?P<slug>[a-z0-9]+(?:-[a-z0-9]+)*)/(?P<rest>.*)$", elsewhere),
]
