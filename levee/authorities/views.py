from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import cache_control

from levee.lib.colors import HEX_RE
from levee.privacy.selectors import retention_periods

from .selectors import authority_get_by_slug, commune_choice_from_key, commune_search


def platform_home(request):
    """Flow 1: find my authority, with or without JavaScript."""
    query = request.GET.get("q", "").strip()[:80]
    key = request.GET.get("commune", "").strip()
    context = {"query": query, "results": None, "error": "", "not_served": None}
    if key:
        choice = commune_choice_from_key(key)
        if choice is None:
            context["error"] = "Choisissez votre commune dans la liste proposée."
        elif choice.authority_slug is None:
            context["not_served"] = choice
        else:
            return redirect("authorities:home", choice.authority_slug)
    if query and not context["not_served"]:
        results = commune_search(query, limit=20)
        context["results"] = results
        if not results:
            context["error"] = (
                "Aucune commune ne correspond à « "
                + query
                + " ». Vérifiez l'orthographe ou saisissez le code postal."
            )
    elif "q" in request.GET and not key:
        context["error"] = "Saisissez le code postal ou le nom de votre commune."
    return render(request, "authorities/platform_home.html", context)


def commune_search_json(request):
    results = commune_search(request.GET.get("q", ""), limit=10)
    return JsonResponse(
        {
            "results": [
                {"key": r.key, "label": r.label, "served": r.authority_slug is not None}
                for r in results
            ]
        }
    )


def home(request, slug):
    authority = authority_get_by_slug(slug)
    return render(request, "authorities/home.html", {"authority": authority})


def cgu(request, slug):
    authority = authority_get_by_slug(slug)
    return render(request, "authorities/cgu.html", {"authority": authority})


def legal_notice(request, slug):
    authority = authority_get_by_slug(slug)
    return render(request, "authorities/legal_notice.html", {"authority": authority})


def personal_data(request, slug):
    """« Données personnelles »: the authority's text, then the durations the platform
    applies (the settings its daily purge uses, never a copy of them)."""
    authority = authority_get_by_slug(slug)
    return render(
        request,
        "authorities/personal_data.html",
        {"authority": authority, "periods": retention_periods()},
    )


@cache_control(public=True, max_age=7 * 24 * 3600)
def theme_css(request, slug):
    """The authority's colour as a style sheet: the Content-Security-Policy allows no inline
    <style>. Pages link it with the colour in its query string, so a new colour is a new URL
    and the week-long cache never shows the old one."""
    authority = authority_get_by_slug(slug)
    color = authority.primary_color if HEX_RE.match(authority.primary_color or "") else ""
    body = f":root {{ --brand: {color}; }}\n" if color else ""
    return HttpResponse(body, content_type="text/css; charset=utf-8")
