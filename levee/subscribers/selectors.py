"""Reads of accounts and subscriptions shared by the screens and the services."""

from django.db.models import F, Q

from .models import Account, Subscription


def subscription_current(account: Account, *, running: bool = False) -> Subscription | None:
    """The account's current subscription, the one every screen and service reads: the
    running one (the latest started, if several), else the latest ended — or None, with
    `running`, when none is running."""
    subscriptions = Subscription.objects.filter(
        authority_id=account.authority_id, account=account
    ).select_related("commune")
    if running:
        subscriptions = subscriptions.filter(ended_on__isnull=True)
    current = subscriptions.order_by(
        F("ended_on").desc(nulls_first=True), "-subscribed_on", "-pk"
    ).first()
    if current is not None:
        # Its account and authority are read already: no query when a page reaches them.
        current.account = account
        if Account.authority.is_cached(account):
            current.authority = account.authority
    return current


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
    """The agent's search of accounts: code usager, key, name, street or email."""
    query = query.strip()[:100]
    accounts = Account.objects.filter(authority=authority)
    if query:
        accounts = accounts.filter(
            Q(code__iexact=query)
            | Q(portal_key__iexact=query)
            | Q(last_name__icontains=query)
            | Q(company_name__icontains=query)
            | Q(billing_street__icontains=query)
            | Q(email__icontains=query)
        )
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
