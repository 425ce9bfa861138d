from django.conf import settings
from django.contrib import admin
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path, re_path
from django.views.static import serve

from levee.twofactor.forms import OperatorLoginForm


def favicon(request):
    """Browsers ask every site for /favicon.ico, pages without an icon link included (the
    error pages, the admin, the API's documentation): the site's icon, found at request time
    (the static files' manifest is read then, not when the URLs are loaded)."""
    return redirect(static("img/favicon.svg"))


urlpatterns = [
    path("favicon.ico", favicon),
    path("backoffice/", include("levee.backoffice.urls")),
    path("backoffice/facturation/", include("levee.billing.urls_backoffice")),
    path("backoffice/comptabilite-publique/", include("levee.treasury.urls_backoffice")),
    path("backoffice/prelevements/", include("levee.payments.urls_backoffice")),
    path("securite/", include("levee.twofactor.urls")),
    path("", include("levee.identity.urls")),
    path("", include("levee.ecocito.urls")),
    path("api/v1/", include("levee.api.urls")),
    path("", include("levee.payments.urls")),
    path("", include("levee.billing.urls")),
    path("", include("levee.accounts.urls")),
    path("", include("levee.space.urls")),
    path("", include("levee.tokens.urls")),
    path("", include("levee.privacy.urls")),
    path("", include("levee.collection.urls")),
    path("", include("levee.calendars.urls")),
    path("", include("levee.requests.urls")),
    path("", include("levee.authorities.urls")),
]
# The operator's admin, where ADMIN_URL says (empty: no admin at all).
if settings.ADMIN_URL:
    urlpatterns.insert(0, path(settings.ADMIN_URL, admin.site.urls))
if settings.SERVE_MEDIA:
    urlpatterns.insert(
        0, re_path(r"^media/(?P<path>logos/.*)$", serve, {"document_root": settings.MEDIA_ROOT})
    )

admin.site.site_header = "Administration Levée"
admin.site.site_title = "Administration Levée"
admin.site.index_title = "Opérateur de la plateforme"
# The admin's login counts attempts like the others; its second factor is asked by
# levee.twofactor.middleware once the password is right.
admin.site.login_form = OperatorLoginForm
