from django.http import HttpResponsePermanentRedirect

from .hosts import authority_site_url
from .selectors import authority_get_by_slug


def elsewhere(request, slug, rest):
    """On an authority's host, a path under /<slug>/: its own (an old link) goes to the
    root of the host, another authority's to where that one is served."""
    authority = authority_get_by_slug(slug)
    if authority.slug == getattr(request, "host_authority_slug", None):
        target = f"/{rest}"
    else:
        base = authority_site_url(authority)
        target = f"{base}/{rest}" if authority.host else f"{base}/{slug}/{rest}"
    query = request.META.get("QUERY_STRING", "")
    return HttpResponsePermanentRedirect(f"{target}?{query}" if query else target)
