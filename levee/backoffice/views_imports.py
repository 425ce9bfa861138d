"""The back office's « Imports »: an agent uploads a file of lifts, drop-offs or
subscribers, follows its progress, and downloads the report of its rejected lines."""

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from levee.agents import roles
from levee.audit.selectors import import_pushers
from levee.collection import services as services_imports
from levee.collection.importers.docs import format_documentation
from levee.collection.models import ImportKind
from levee.collection.selectors import import_batches
from levee.lib.uploads import upload_limit

from .access import agent_required, get_import_batch_for_agent
from .forms_imports import ImportUploadForm

PER_PAGE = 25

FORMATS = [
    (
        ImportKind.LIFTS,
        "import-des-levees",
        "une levée par ligne : horodatage, n° de puce et/ou de cuve, flux, poids net, véhicule.",
    ),
    (
        ImportKind.DROPOFFS,
        "import-des-apports",
        "un apport par ligne : horodatage, type (badge ou déchèterie), code usager et/ou "
        "n° de badge, lieu, flux, quantité et unité.",
    ),
    (
        ImportKind.SUBSCRIBERS,
        "import-des-abonnes",
        "une ligne par compte, abonnement et bac, exportée du logiciel de facturation ; "
        "les identifiants portail manquants sont créés.",
    ),
]


def _imports_oversize(request, *, length, max_bytes):
    return _imports_page(request, ImportUploadForm(oversize=length), status=413)


@agent_required(writes=roles.IMPORTS)
@upload_limit(lambda: settings.IMPORT_MAX_BYTES, oversize=_imports_oversize)
def imports(request):
    """The list and the upload form. An upload over IMPORT_MAX_BYTES is refused from its
    Content-Length, before its body is read (upload_limit); this refusal changes nothing."""
    if request.method != "POST":
        return _imports_page(request, ImportUploadForm())
    form = ImportUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _imports_page(request, form, status=400)
    batch = services_imports.import_upload(
        authority=request.agent.authority,
        kind=form.cleaned_data["kind"],
        upload=form.cleaned_data["file"],
        agent_user=request.user,
    )
    return redirect("backoffice:import_detail", batch.pk)


def _imports_page(request, form, *, status=200):
    page = Paginator(import_batches(request.agent.authority), PER_PAGE).get_page(
        request.GET.get("page")
    )
    pushers = import_pushers(request.agent.authority, page.object_list)
    for batch in page.object_list:
        batch.pushed_by = pushers.get(batch.pk)
    return render(
        request,
        "backoffice/imports.html",
        {"form": form, "page": page, "formats": FORMATS},
        status=status,
    )


@agent_required
def import_detail(request, pk):
    batch = get_import_batch_for_agent(request, pk)
    batch.pushed_by = import_pushers(request.agent.authority, [batch]).get(batch.pk)
    return render(request, "backoffice/imports_detail.html", {"batch": batch})


@agent_required
def import_progress(request, pk):
    """The status part of the batch page alone, polled by static/js/progress.js."""
    batch = get_import_batch_for_agent(request, pk)
    response = render(request, "backoffice/imports_status.html", {"batch": batch})
    response["Cache-Control"] = "no-store"
    return response


@agent_required
def import_report(request, pk):
    """The rejected lines, CSV « ligne;motif », with a BOM so Excel reads it as UTF-8."""
    batch = get_import_batch_for_agent(request, pk)
    if not batch.rejected_report:
        raise Http404
    response = HttpResponse(
        "\ufeff" + batch.rejected_report, content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="rejets-import-{batch.pk}.csv"'
    response["Cache-Control"] = "private, no-store"
    return response


@agent_required(roles.IMPORTS)
@require_POST
def import_retry(request, pk):
    batch = get_import_batch_for_agent(request, pk)
    if services_imports.import_retry(batch=batch, agent_user=request.user):
        messages.success(request, "L'import est relancé.")
    else:
        messages.error(
            request, "Cet import ne peut pas être relancé : il est terminé ou encore en cours."
        )
    return redirect("backoffice:import_detail", batch.pk)


@agent_required
def import_help(request):
    title, html = format_documentation()
    return render(request, "backoffice/imports_help.html", {"title": title, "html": html})
