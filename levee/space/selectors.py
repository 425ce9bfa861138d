from levee.accounts.models import AccountAccess
from levee.subscribers.models import Subscription


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
