from django.http import HttpResponseBadRequest
from django.template.loader import render_to_string

from levee.lib.uploads import oversize_of


class RejectNullCharactersMiddleware:
    """A NUL character has no business in a URL or a form, and PostgreSQL refuses it in
    text: answer 400 with the French error page before any view sees it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        values = [request.path]
        values += [v for _k, vs in request.GET.lists() for v in vs]
        if any("\x00" in v for v in values):
            return HttpResponseBadRequest(render_to_string("400.html"))
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        # The form is read once its view is known: an upload over the limit its view
        # declares (levee.lib.uploads.upload_limit) is refused there, its body unread.
        if request.method != "POST" or oversize_of(request, view_func):
            return None
        if any("\x00" in v for _k, vs in request.POST.lists() for v in vs):
            return HttpResponseBadRequest(render_to_string("400.html"))
        return None
