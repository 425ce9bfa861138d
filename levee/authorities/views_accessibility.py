"""« Déclaration d'accessibilité » (RGAA 4.1): the page every footer links to, one per
authority (its name and contacts), and one for the platform's own pages; both rendered
from the project's audit (`levee.lib.accessibility`)."""

from django.shortcuts import render

from levee.lib.accessibility import accessibility_audit

from .selectors import authority_get_by_slug


def _render(request, authority):
    audit = accessibility_audit()
    slug = authority.slug if authority else ""
    pages = [
        {"name": p.name, "url": p.url_for(slug), "link": p.audience == "public"}
        for p in audit.pages
        if authority or "{slug}" not in p.path
    ]
    return render(
        request,
        "authorities/accessibility.html",
        {
            "authority": authority,
            "base_template": "authorities/authority_base.html" if authority else "base.html",
            "audit": audit,
            "pages": pages,
        },
    )


def statement(request, slug):
    return _render(request, authority_get_by_slug(slug))


def platform_statement(request):
    return _render(request, None)
