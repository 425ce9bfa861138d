from django.http import HttpResponseBadRequest
from django.template.loader import render_to_string


class RejectNullCharactersMiddleware:
    """A NUL character has no business in a URL or a form, and PostgreSQL refuses it in
    text: answer 400 with the French error page before any view sees it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        values = [request.path]
        values += [v for _k, vs in request.GET.lists() for v in vs]
        if request.method == "POST":
            values += [v for _k, vs in request.POST.lists() for v in vs]
        if any("\x00" in v for v in values):
            return HttpResponseBadRequest(render_to_string("400.html"))
        return self.get_response(request)
