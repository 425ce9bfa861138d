"""Access helpers of « Prélèvements »: an agent reaches only his authority's debit files;
anything else is a 404."""

from django.shortcuts import get_object_or_404

from .models import DebitFile


def get_debit_file_for_agent(request, pk: int) -> DebitFile:
    debit_file = get_object_or_404(
        DebitFile.objects.filter(authority=request.agent.authority), pk=pk
    )
    debit_file.authority = request.agent.authority
    return debit_file
