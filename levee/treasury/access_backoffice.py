"""Access helpers of « Titres et rôles »: an agent reaches only his authority's PES files;
anything else is a 404."""

from django.shortcuts import get_object_or_404

from .models import PesFile


def get_pes_file_for_agent(request, pk: int) -> PesFile:
    pes_file = get_object_or_404(
        PesFile.objects.filter(authority=request.agent.authority).select_related("run"),
        pk=pk,
    )
    pes_file.authority = request.agent.authority
    return pes_file
