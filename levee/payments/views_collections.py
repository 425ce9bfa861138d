"""« Encaissements du comptable » (/backoffice/facturation/reglements/encaissements/): the
public accountant's collections imported as a CSV (`levee/payments/COLLECTIONS.md`), each
line recorded on its invoice or listed with its reason. Every agent reads the imports; only
`roles.BILLING` imports, within the agent's authority."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render

from levee.agents import roles
from levee.backoffice.access import agent_required
from levee.lib.templatetags.levee_format import euros
from levee.lib.text import plural_fr

from .access_backoffice import get_collection_import_for_agent
from .collection_files import CollectionFileError, collections_import, mode_label
from .forms_backoffice import CollectionFileForm
from .selectors import collection_imports_of

IMPORTS_PER_PAGE = 25


def _page(request, *, form=None, status=200):
    page = Paginator(collection_imports_of(request.agent.authority), IMPORTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "payments/backoffice/collections.html",
        {"form": form or CollectionFileForm(), "page": page},
        status=status,
    )


@agent_required(writes=roles.BILLING)
def collections(request):
    if request.method != "POST":
        return _page(request)
    form = CollectionFileForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            imported = collections_import(
                authority=request.agent.authority,
                content=upload.read(),
                filename=upload.name,
                by=request.user,
            )
        except CollectionFileError as refusal:
            form.add_error("file", refusal.message)
        else:
            ignored = imported.lines - imported.applied
            messages.success(
                request,
                f"Encaissements importés : {plural_fr(imported.applied, 'règlement enregistré')}"
                f" ({euros(imported.applied_cents)})"
                + (
                    f", {plural_fr(ignored, 'ligne ignorée')} (motifs ci-dessous)"
                    if ignored
                    else ""
                )
                + ".",
            )
            return redirect("billing_bo:collection_import", imported.pk)
    return _page(request, form=form, status=400)


@agent_required
def collection_import(request, pk):
    imported = get_collection_import_for_agent(request, pk)
    # The report keeps each line as the file wrote it; its mode shows by its label.
    report = [
        {**entry, "mode": mode_label(entry["mode"]) if entry.get("mode") else ""}
        for entry in imported.report or []
    ]
    return render(
        request,
        "payments/backoffice/collection_import.html",
        {
            "imported": imported,
            "applied": [e for e in report if e.get("outcome") == "applied"],
            "ignored": [e for e in report if e.get("outcome") != "applied"],
        },
    )
