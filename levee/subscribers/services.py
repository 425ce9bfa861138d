"""Writes of accounts and subscriptions: the one account creation (an opening request
accepted, J'emménage, the subscriber import), ending a subscription (a move, a termination)
with its bins, and opening one at a new dwelling."""

import datetime
import secrets

from django.db import IntegrityError, transaction
from django.db.models import IntegerField
from django.db.models.functions import Cast

from levee.collection.models import Bin

from .models import Account, Subscription, SubscriptionKind

# No 0/O, 1/I/L: a key is read on paper and typed by hand.
KEY_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ"
# Two agents accepting two newcomers at once may pick the same code: the second one
# takes the next code, a few times at most.
CODE_ATTEMPTS = 5


def portal_key_new(*, authority) -> str:
    """A new identifiant portail (clé d'activation), free in the authority."""
    while True:
        key = "".join(secrets.choice(KEY_ALPHABET) for _ in range(8))
        if not Account.objects.filter(authority=authority, portal_key=key).exists():
            return key


def account_code_next(*, authority) -> str:
    """The next free numeric code usager of the authority, zero-padded to 5 digits."""
    numeric = (
        Account.objects.filter(authority=authority, code__regex=r"^[0-9]+$")
        .annotate(n=Cast("code", IntegerField()))
        .order_by("-n")
        .values_list("n", flat=True)
        .first()
    )
    return f"{(numeric or 0) + 1:05d}"


@transaction.atomic
def account_create(
    *,
    authority,
    values: dict,
    code: str = "",
    portal_key: str = "",
    dwelling: dict | None = None,
    on: datetime.date | None = None,
) -> Account:
    """The one creation of an account usager: its code usager (`code`, or the next free
    one, retried when another creation took it meanwhile), its identifiant portail
    (`portal_key`, or a new one), the account's `values` (names, contact, billing address),
    and, when `dwelling` names one (commune, postal_code, street, number, number_suffix,
    complement), its first subscription there from `on`."""
    attempts = 1 if code else CODE_ATTEMPTS
    for attempt in range(attempts):
        try:
            with transaction.atomic():
                account = Account.objects.create(
                    authority=authority,
                    code=code or account_code_next(authority=authority),
                    portal_key=portal_key or portal_key_new(authority=authority),
                    **values,
                )
            break
        except IntegrityError:
            if attempt == attempts - 1:
                raise
    if dwelling is not None:
        subscription_open(account=account, on=on, **dwelling)
    return account


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
