"""Writes of accounts and subscriptions: the one account creation (an opening request
accepted, J'emménage, the subscriber import), ending a subscription (a move, a termination)
with its bins, and opening one at a new dwelling."""

import datetime
import secrets

from django.db import IntegrityError, transaction
from django.db.models import IntegerField
from django.db.models.functions import Cast

from levee.audit.services import audit_write
from levee.collection.models import Bin, Flux

from .models import Account, PaymentMode, Subscription, SubscriptionKind

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


def subscription_plan_of_household(account: Account, *, kind: str) -> int | None:
    """The plan volume the household had: that of its latest subscription of `kind`, else
    the volume of that subscription's latest household-waste bin; None when there is none."""
    previous = (
        Subscription.objects.filter(authority_id=account.authority_id, account=account, kind=kind)
        .order_by("-subscribed_on", "-pk")
        .first()
    )
    if previous is None:
        return None
    if previous.plan_volume_litres:
        return previous.plan_volume_litres
    return (
        Bin.objects.filter(
            authority_id=account.authority_id,
            subscription=previous,
            flux=Flux.ORDURES_MENAGERES,
        )
        .order_by("-delivered_on", "-pk")
        .values_list("volume_litres", flat=True)
        .first()
    )


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
    plan_volume_litres: int | None = None,
) -> Subscription:
    """A new subscription of the account at a dwelling of one of its authority's communes,
    from `on`; its reference is the account's code (with a suffix when taken). A « bac »
    subscription is billed with `plan_volume_litres`, else with the household's plan (a
    move keeps it: `subscription_plan_of_household`). It is paid on receipt of its invoices
    until a mandate is signed (a move carries the old one's mode over)."""
    if kind == SubscriptionKind.BAC and not plan_volume_litres:
        plan_volume_litres = subscription_plan_of_household(account, kind=kind)
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
        plan_volume_litres=plan_volume_litres if kind == SubscriptionKind.BAC else None,
        payment_mode=PaymentMode.INVOICE,
    )


class PlanRefused(Exception):
    """The plan asked cannot be set: `message` says why, in French."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@transaction.atomic
def subscription_plan_set(
    *, subscription: Subscription, plan_volume_litres: int | None, agent_user
) -> bool:
    """« Forfait »: the agent sets the plan of a « bac » subscription (a volume of the
    authority's grid; None goes back to the volume of its household-waste bin). Audited on
    the account; False when nothing changed."""
    subscription = Subscription.objects.select_for_update().get(
        pk=subscription.pk, authority_id=subscription.authority_id
    )
    if subscription.kind != SubscriptionKind.BAC:
        raise PlanRefused(
            f"Un abonnement {subscription.get_kind_display()} est facturé au forfait de son "
            "type : il n'a pas de volume à choisir."
        )
    if plan_volume_litres is not None and plan_volume_litres <= 0:
        raise PlanRefused("Choisissez un volume de la grille tarifaire.")
    before = subscription.plan_volume_litres
    if before == plan_volume_litres:
        return False
    subscription.plan_volume_litres = plan_volume_litres
    subscription.save(update_fields=["plan_volume_litres", "updated_at"])
    audit_write(
        authority=subscription.authority,
        actor=agent_user,
        action="account.plan_set",
        obj=subscription.account,
        before={"subscription": subscription.reference, "plan_volume_litres": before},
        after={"subscription": subscription.reference, "plan_volume_litres": plan_volume_litres},
    )
    return True
