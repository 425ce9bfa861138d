"""What a token reaches: the accounts of its login, read by the space's own access helper
(`levee.space.access.accesses_of`, once per request); any other id is a 404, the same as
an id that does not exist."""

from django.http import Http404

from levee.space.access import accesses_of


def api_accesses(request) -> list:
    return accesses_of(request)


def get_account_for_token(request, account_id: int):
    for access in accesses_of(request):
        if access.account_id == account_id:
            access.account.authority = access.authority  # read already
            return access.account
    raise Http404
