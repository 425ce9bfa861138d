from django.http import HttpResponseBadRequest
from django.http.request import split_domain_port, validate_host
from django.template.loader import render_to_string

from levee.lib.hosts import platform_hosts

from .hosts import HOST_URLCONF, authority_hosts, host_slug


class AuthorityHostMiddleware:
    """First of MIDDLEWARE: the host names served are the platform's (ALLOWED_HOSTS) and
    the authorities' own (Authority.host, set in the admin, served without a restart);
    any other is refused (400). On an authority's host its portal is served at the root
    (levee/urls_host.py: no /<slug>/ prefix, no operator's admin).

    ALLOWED_HOSTS starts with "*" so that Django's own check lets the authorities' hosts
    through: this middleware makes that check instead, before anything reads the host."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        domain, _port = split_domain_port(request._get_raw_host())
        if domain and validate_host(domain, platform_hosts()):
            return self.get_response(request)
        slug = authority_hosts().get(domain) if domain else None
        if slug is None:
            return HttpResponseBadRequest(render_to_string("400.html"))
        request.urlconf = HOST_URLCONF
        request.host_authority_slug = slug
        token = host_slug.set(slug)
        try:
            return self.get_response(request)
        finally:
            host_slug.reset(token)
