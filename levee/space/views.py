from functools import lru_cache
from types import MappingProxyType

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone

from levee.accounts.services import account_data_choices_update
from levee.authorities.hosts import host_slug
from levee.calendars.selectors import next_collections_for_account
from levee.payments.selectors_debit_files import mandate_space_of
from levee.subscribers.selectors import subscriptions_now_and_coming

from .access import accesses_of, get_account_for_user, space_authority
from .forms import DataChoicesForm
from .on_behalf import on_behalf_of, refused_response

MENU = (
    ("home", "space:home"),
    ("informations", "space:informations"),
    ("production", "collection:production"),
    ("invoices", "billing:invoices"),
    ("services", "requests:services"),
    ("tracking", "requests:tracking"),
    ("calendar", "calendars:space"),
    ("profile", "space:profile"),
    ("logout", "accounts:logout"),
)


@lru_cache(maxsize=1024)
def _space_urls(
    slug: str, script_prefix: str, urlconf: str, host_slug: str | None
) -> MappingProxyType:
    urls = {key: reverse(name, args=[slug]) for key, name in MENU}
    urls["switch_account"] = reverse("space:switch_account")
    return MappingProxyType(urls)  # shared by every request: read-only


def space_urls(slug: str) -> MappingProxyType:
    """The links of the header and menu of an authority's space: the same for every
    resident (nothing of an account in them), so reversed once per authority and process
    rather than a dozen times a page."""
    return _space_urls(
        slug, get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF, host_slug.get()
    )


def space_context(request, authority, account) -> dict:
    """What every page of the space shows: the header of flow 6, its menu, the selector;
    and, while an agent acts on the resident's behalf, the banner that says so."""
    acting = on_behalf_of(request)
    # A change takes effect on its date: until a move's day, the current dwelling, and the
    # coming one announced.
    subscriptions, subscription, coming = subscriptions_now_and_coming(
        account, today=timezone.localdate()
    )
    return {
        "authority": authority,
        "space_urls": space_urls(authority.slug),
        "account": account,
        "subscription": subscription,
        "subscription_coming": coming,
        # Every subscription of the account, the latest subscribed first (read with those
        # above): « Mes informations » lists them.
        "account_subscriptions": subscriptions,
        "all_accesses": accesses_of(request),
        "on_behalf": acting,
        # The header's email: the login's own, or at the counter the account's (the agent's
        # login is not the resident's).
        "space_email": account.email if acting is not None else request.user.email,
    }


def account_from_request(request, authority):
    """The account shown: ?compte=<id> when it is one of the person's, else the selected one."""
    raw = request.GET.get("compte")
    try:
        account_pk = int(raw) if raw else None
    except ValueError:
        account_pk = -1
    return get_account_for_user(request, authority, account_pk)


@login_required
def home(request, slug):
    authority = space_authority(request, slug)
    account = account_from_request(request, authority)
    context = space_context(request, authority, account)
    # The header's subscriptions are the calendar's: read once.
    context["next_collections"] = next_collections_for_account(
        account,
        today=timezone.localdate(),
        limit=2,
        now_and_coming=(context["subscription"], context["subscription_coming"]),
    )
    return render(request, "space/home.html", context)


@login_required
def informations(request, slug):
    """« Mes informations » (flow 7): coordonnées, data-processing choices, subscriptions,
    the direct-debit « échéancier »."""
    authority = space_authority(request, slug)
    account = account_from_request(request, authority)
    acting = on_behalf_of(request)
    if acting is not None and request.method == "POST":
        return refused_response(request, acting)  # his choices are his own to make
    form = DataChoicesForm(
        request.POST or None,
        initial={
            "objects_to_other_uses": account.objects_to_other_uses,
            "refuses_automated_erasure": account.refuses_automated_erasure,
        },
    )
    if request.method == "POST" and form.is_valid():
        account_data_choices_update(account=account, **form.cleaned_data)
        messages.success(request, "Vos choix sont enregistrés.")
        return redirect("space:informations", authority.slug)
    mandate_schedule, mandate_suspended = mandate_space_of(account)
    context = space_context(request, authority, account)
    return render(
        request,
        "space/informations.html",
        {
            **context,
            "form": form,
            "subscriptions": context["account_subscriptions"],
            "mandate_schedule": mandate_schedule,
            "mandate_suspended": mandate_suspended,
        },
    )


@login_required
def profile(request, slug):
    """« Mon profil »: the login, the accounts it reaches, « Services disponibles »."""
    authority = space_authority(request, slug)
    account = account_from_request(request, authority)
    return render(request, "space/profile.html", space_context(request, authority, account))


@login_required
def switch_account(request):
    """The account selector: each option names an account of any authority."""
    value = request.GET.get("compte", "")
    for access in accesses_of(request):
        if value == f"{access.authority.slug}:{access.account_id}":
            return redirect(
                f"{reverse('space:home', args=[access.authority.slug])}?compte={access.account_id}"
            )
    return redirect("space:no_account")


@login_required
def no_account(request):
    accesses = accesses_of(request)
    if accesses:
        return redirect("space:home", accesses[0].authority.slug)
    return render(request, "space/no_account.html", {})
