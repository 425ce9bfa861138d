from levee.accounts.models import AccountAccess
from levee.subscribers.models import Account, Subscription


def subscription_current(account) -> Subscription | None:
    """The subscription shown in the header: the running one, else the latest."""
    subs = (
        Subscription.objects.filter(authority_id=account.authority_id, account=account)
        .select_related("commune")
        .order_by("ended_on", "-subscribed_on")
    )
    running = [s for s in subs if s.ended_on is None]
    current = running[0] if running else (subs[0] if subs else None)
    if current is not None:
        # Its account and authority are read already: no query when a page reaches them.
        current.account = account
        if Account.authority.is_cached(account):
            current.authority = account.authority
    return current


def space_accounts_for_user(user):
    """Every account the person reaches, across authorities, for the account selector."""
    return list(
        AccountAccess.objects.filter(user=user)
        .select_related("account", "authority")
        .order_by("authority__name", "account__code")
    )


def subscriptions_of(account) -> list[Subscription]:
    return list(
        Subscription.objects.filter(authority_id=account.authority_id, account=account)
        .select_related("commune")
        .order_by("-subscribed_on")
    )
