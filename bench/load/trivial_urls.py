"""The portal's URLs and a trivial view on the same stack: the load test's reference (as in
bench/bench_pages.py), served by `wsgi.py`."""

from django.http import HttpResponse
from django.urls import include, path


def trivial(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench-trivial/", trivial), path("", include("levee.urls"))]
