from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse

from levee.authorities.selectors import authority_get_by_slug

from .access import get_account_for_user
from .selectors import space_accounts_for_user, subscription_current


def _space_context(request, authority, account):
    return {
        "authority": authority,
        "account": account,
        "subscription": subscription_current(account),
        "all_accesses": space_accounts_for_user(request.user),
    }


@login_required
def home(request, slug):
    authority = authority_get_by_slug(slug)
    account_pk = request.GET.get("compte")
    try:
        account_pk = int(account_pk) if account_pk else None
    except ValueError:
        account_pk = -1
    account = get_account_for_user(request, authority, account_pk)
    return render(request, "space/home.html", _space_context(request, authority, account))


@login_required
def switch_account(request):
    """The account selector: each option names an account of any authority."""
    value = request.GET.get("compte", "")
    for access in space_accounts_for_user(request.user):
        if value == f"{access.authority.slug}:{access.account_id}":
            return redirect(
                f"{reverse('space:home', args=[access.authority.slug])}?compte={access.account_id}"
            )
    return redirect("space:no_account")


@login_required
def no_account(request):
    accesses = space_accounts_for_user(request.user)
    if accesses:
        return redirect("space:home", accesses[0].authority.slug)
    return render(request, "space/no_account.html", {})
