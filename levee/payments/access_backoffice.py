"""Access helpers of the payments' back office: an agent reaches only his authority's debit
files and imports of collections; anything else is a 404."""

from django.shortcuts import get_object_or_404

from .models import CollectionImport, DebitFile


def get_debit_file_for_agent(request, pk: int) -> DebitFile:
    debit_file = get_object_or_404(
        DebitFile.objects.filter(authority=request.agent.authority), pk=pk
    )
    debit_file.authority = request.agent.authority
    return debit_file


def get_collection_import_for_agent(request, pk: int) -> CollectionImport:
    return get_object_or_404(
        CollectionImport.objects.filter(authority=request.agent.authority).select_related(
            "imported_by"
        ),
        pk=pk,
    )
