from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import cache_control

from levee.lib.colors import HEX_RE
from levee.privacy.selectors import retention_periods

from .forms import CommunePickerForm
from .selectors import authority_active_by_slug, authority_get_by_slug, commune_search


def platform_home(request):
    """Flow 1: find my authority, with or without JavaScript."""
    picker = CommunePickerForm(
        request.GET if "q" in request.GET or "commune" in request.GET else None
    )
    not_served = None
    if picker.is_bound and picker.is_valid() and picker.choice:
        if picker.choice.authority_slug is not None:
            return redirect("authorities:home", picker.choice.authority_slug)
        not_served = picker.choice
    return render(
        request, "authorities/platform_home.html", {"picker": picker, "not_served": not_served}
    )


def commune_search_json(request):
    """The live list of the commune picker; `collectivite` keeps it to one authority's communes."""
    slug = request.GET.get("collectivite", "")
    authority = authority_active_by_slug(slug)
    if slug and authority is None:
        return JsonResponse({"results": []})
    results = commune_search(request.GET.get("q", ""), limit=10, authority=authority)
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
