"""Writes of subscriptions that the demandes make: ending one (a move, a termination) with
its bins, and opening one at a new dwelling."""

import datetime

from levee.collection.models import Bin

from .models import Account, Subscription, SubscriptionKind


def subscription_running(account: Account) -> Subscription | None:
    """The account's subscription that has not ended, the latest if several."""
    return (
        Subscription.objects.filter(
            authority_id=account.authority_id, account=account, ended_on__isnull=True
        )
        .select_related("commune")
        .order_by("-subscribed_on", "-pk")
        .first()
    )


def subscription_end(*, subscription: Subscription, on: datetime.date) -> list[str]:
    """Ends the subscription on `on` and takes its bins still in service out that day (one
    delivered after it, the day it was delivered): a bin left « en service » on an ended
    subscription would keep showing in « Mes bacs/levées » and be counted by the averages.
    Returns the bins taken out, as people read them (for the audit log)."""
    subscription.ended_on = on
    subscription.save(update_fields=["ended_on", "updated_at"])
    removed = []
    bins = Bin.objects.filter(
        authority_id=subscription.authority_id, subscription=subscription, removed_on__isnull=True
    ).order_by("pk")
    for bin in bins:
        bin.removed_on = max(on, bin.delivered_on)
        bin.save(update_fields=["removed_on", "updated_at"])
        removed.append(str(bin))
    return removed


def subscription_reference_new(*, authority, base: str) -> str:
    """`base`, or `base-2`, `base-3`… : the first reference still free in the authority."""
    taken = set(
        Subscription.objects.filter(authority=authority, reference__startswith=base).values_list(
            "reference", flat=True
        )
    )
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def subscription_open(
    *,
    account: Account,
    commune,
    on: datetime.date,
    postal_code: str,
    street: str,
    number: str = "",
    number_suffix: str = "",
    complement: str = "",
    kind: str = SubscriptionKind.BAC,
) -> Subscription:
    """A new subscription of the account at a dwelling of one of its authority's communes,
    from `on`; its reference is the account's code (with a suffix when taken)."""
    return Subscription.objects.create(
        authority_id=account.authority_id,
        account=account,
        reference=subscription_reference_new(authority=account.authority, base=account.code),
        kind=kind,
        subscribed_on=on,
        commune=commune,
        postal_code=postal_code,
        number=number,
        number_suffix=number_suffix,
        street=street,
        complement=complement,
    )
