"""Reads of accounts and subscriptions shared by the screens and the services."""

import datetime

from django.db.models import Q
from django.utils import timezone

from .models import Account, Subscription


def subscription_current(
    account: Account, *, running: bool = False, today: datetime.date | None = None
) -> Subscription | None:
    """The account's current subscription, the one every screen and service reads: the one
    in effect `today` (started, not ended before today; the latest started if several, so
    on a move's date the new dwelling), else the latest ended, else the first still to
    start — or None. With `running`, only a subscription that has no end date (the one a
    termination or a move would end), whatever its dates.

    A change takes effect on its date: a move accepted for the 20th keeps the current
    dwelling until the 19th (`subscription_coming` is the one that follows)."""
    subscriptions = Subscription.objects.filter(
        authority_id=account.authority_id, account=account
    ).select_related("commune")
    if running:
        current = (
            subscriptions.filter(ended_on__isnull=True).order_by("-subscribed_on", "-pk").first()
        )
    else:
        current = _in_effect(list(subscriptions), today or timezone.localdate())
    if current is not None:
        _account_cached(current, account)
    return current


def _in_effect(subscriptions: list[Subscription], today: datetime.date) -> Subscription | None:
    started = [s for s in subscriptions if s.subscribed_on <= today]
    running = [s for s in started if s.ended_on is None or s.ended_on >= today]
    if running:
        return max(running, key=lambda s: (s.subscribed_on, s.pk))
    if started:
        return max(started, key=lambda s: (s.ended_on, s.subscribed_on, s.pk))
    return min(subscriptions, key=lambda s: (s.subscribed_on, s.pk), default=None)


def _account_cached(subscription: Subscription, account: Account) -> None:
    # Its account and authority are read already: no query when a page reaches them.
    subscription.account = account
    if Account.authority.is_cached(account):
        subscription.authority = account.authority


def subscription_now_and_coming(
    account: Account, *, today: datetime.date | None = None
) -> tuple[Subscription | None, Subscription | None]:
    """In one query: the current subscription (`subscription_current`) and the one that
    starts after today and follows it (a move's new dwelling, a J'emménage to come), the
    first if several — None when nothing is to come, or when the only one to come is the
    current one itself (no subscription has started yet)."""
    return subscriptions_now_and_coming(account, today=today)[1:]


def subscriptions_now_and_coming(
    account: Account, *, today: datetime.date | None = None
) -> tuple[list[Subscription], Subscription | None, Subscription | None]:
    """In one query: every subscription of the account with its commune, the latest
    subscribed first, then the current one and the one to come as
    `subscription_now_and_coming` gives them (the same objects as in the list)."""
    today = today or timezone.localdate()
    subscriptions = list(
        Subscription.objects.filter(
            authority_id=account.authority_id, account=account
        ).select_related("commune")
    )
    current = _in_effect(subscriptions, today)
    coming = min(
        (
            s
            for s in subscriptions
            if s.subscribed_on > today and (current is None or s.pk != current.pk)
        ),
        key=lambda s: (s.subscribed_on, s.pk),
        default=None,
    )
    for found in subscriptions:
        _account_cached(found, account)
    subscriptions.sort(key=lambda s: (s.subscribed_on, s.pk), reverse=True)
    return subscriptions, current, coming


def subscription_coming(
    account: Account, *, today: datetime.date | None = None
) -> Subscription | None:
    """The subscription that follows the current one, from a later date (see
    `subscription_now_and_coming`)."""
    return subscription_now_and_coming(account, today=today)[1]


def subscription_running(account: Account) -> Subscription | None:
    """The account's subscription that has not ended (the latest started, if several)."""
    return subscription_current(account, running=True)


def subscription_first(account: Account) -> Subscription | None:
    """The account's first subscription (by id), whose address « Associer un autre compte »
    shows masked."""
    return (
        Subscription.objects.filter(authority_id=account.authority_id, account=account)
        .select_related("commune")
        .first()
    )


def subscriptions_of_account(account: Account):
    """The account's subscriptions with their commune (its page in the back office)."""
    return Subscription.objects.filter(
        authority_id=account.authority_id, account=account
    ).select_related("commune")


def accounts_search(*, authority, query: str, limit: int = 50):
    """The agent's search of accounts: code usager, key, or words each found in the name
    (last name, first name, company), street or email — « MARTIN Marie » as the list
    writes it, « Marie Martin », « martin lille »."""
    query = query.strip()[:100]
    accounts = Account.objects.filter(authority=authority)
    if query:
        words = Q()
        for word in query.split()[:8]:
            words &= (
                Q(last_name__icontains=word)
                | Q(first_name__icontains=word)
                | Q(company_name__icontains=word)
                | Q(billing_street__icontains=word)
                | Q(email__icontains=word)
            )
        accounts = accounts.filter(Q(code__iexact=query) | Q(portal_key__iexact=query) | words)
    return list(accounts.order_by("code")[:limit])


def account_for_key(*, authority_slug: str, insee: str, key: str) -> Account | None:
    """« Valider la clé d'activation »: the account of an active authority whose
    identifiant portail is `key` (already without spaces, in capitals) and that has a
    subscription in the commune `insee`; None otherwise."""
    return (
        Account.objects.filter(
            authority__slug=authority_slug,
            authority__is_active=True,
            portal_key=key,
            subscriptions__commune__insee=insee,
        )
        .distinct()
        .first()
    )
