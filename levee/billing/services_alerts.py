"""« Vous avez utilisé toutes les levées de votre forfait »: the periodic job that tells a
household, once per subscription and year, that its lifts of the year have reached those
its plan includes (prorated for a subscription started or ended during the year, exactly
as the estimate of « Mes bacs/levées » counts them), and what each extra one costs.

The `UsageAlert` row is written with the emails under a unique constraint: a job run twice,
or two workers at once, send nothing twice. A household turns the alerts off from the
email's signed link (`UsageAlertOptOut`), without a login.
"""

import datetime

from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from levee.authorities.hosts import authority_absolute_url
from levee.lib.templatetags.levee_format import euros
from levee.mailing.recipients import account_recipients
from levee.mailing.services import mail_enqueue
from levee.subscribers.models import Account, Subscription, SubscriptionKind

from .estimates import Estimate, invoice_estimate
from .models import Tariff, TariffPlan, UsageAlert, UsageAlertOptOut
from .pricing import vat_of, year_share
from .selectors import usage_of_subscriptions

UNSUBSCRIBE_SALT = "billing.usage_alert.unsubscribe"
# Only these plans count lifts (« sac » counts nothing).
COUNTED_KINDS = (SubscriptionKind.BAC, SubscriptionKind.BADGE)


def unsubscribe_token(account: Account) -> str:
    return signing.dumps(account.pk, salt=UNSUBSCRIBE_SALT)


def account_from_token(authority, token: str) -> Account | None:
    """The account of a signed « Ne plus recevoir ces alertes » link, in that authority."""
    try:
        pk = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(pk, int):
        return None
    return Account.objects.filter(authority=authority, pk=pk).first()


def unsubscribe_url(account: Account, authority) -> str:
    return authority_absolute_url(
        authority,
        "billing:usage_alert_unsubscribe",
        args=[authority.slug, unsubscribe_token(account)],
    )


@transaction.atomic
def usage_alerts_turn_off(*, account: Account) -> bool:
    """« Ne plus recevoir ces alertes »: True when turned off now, False if already off."""
    _, created = UsageAlertOptOut.objects.get_or_create(
        account=account, defaults={"authority_id": account.authority_id}
    )
    return created


@transaction.atomic
def usage_alerts_turn_on(*, account: Account) -> bool:
    """« Recevoir de nouveau ces alertes »: True when turned on now."""
    deleted, _ = UsageAlertOptOut.objects.filter(account=account).delete()
    return bool(deleted)


def _candidates(authority_id: int, today: datetime.date) -> list[Subscription]:
    """The running subscriptions of the authority that count lifts, not alerted this year,
    whose households did not turn the alerts off."""
    return list(
        Subscription.objects.filter(
            authority_id=authority_id, kind__in=COUNTED_KINDS, subscribed_on__lte=today
        )
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=today))
        .exclude(usage_alerts__year=today.year)
        .exclude(account__usage_alert_opt_out__isnull=False)
        .select_related("authority", "account")
        .order_by("pk")
    )


def _least_included(authority_id: int, year: int) -> dict[str, int]:
    """By plan kind, the fewest lifts a plan of the year's tariff in force includes: a
    subscription with fewer lifts than that (prorated) cannot have used its plan's."""
    tariff = (
        Tariff.objects.filter(authority_id=authority_id, year=year).order_by("-version").first()
    )
    least: dict[str, int] = {}
    if tariff is None:
        return least
    for kind, included in TariffPlan.objects.filter(tariff=tariff).values_list(
        "kind", "included_lifts"
    ):
        least[kind] = min(included, least.get(kind, included))
    return least


def _send(subscription: Subscription, estimate: Estimate, *, deliver: bool = True) -> bool:
    authority = subscription.authority
    account = subscription.account
    recipients = account_recipients([account.pk])[account.pk]
    extra_ttc = estimate.extra_lift_cents + vat_of(estimate.extra_lift_cents, estimate.vat_rate_bp)
    context = {
        "year": estimate.year,
        "plan_label": estimate.plan_label,
        "included": estimate.included_lifts,
        "lifts": estimate.lifts_so_far,
        "unit_word": estimate.unit_word,
        "first_day": estimate.first_day,
        "last_day": estimate.last_day,
        "whole_year": estimate.first_day == datetime.date(estimate.year, 1, 1)
        and estimate.last_day == datetime.date(estimate.year, 12, 31),
        "extra_ht": euros(estimate.extra_lift_cents),
        "extra_ttc": euros(extra_ttc),
        "address": subscription.address_line,
        "production_url": reverse("collection:production", kwargs={"slug": authority.slug}),
        "unsubscribe_url": unsubscribe_url(account, authority),
    }
    try:
        with transaction.atomic():
            UsageAlert.objects.create(
                authority_id=subscription.authority_id,
                subscription=subscription,
                year=estimate.year,
                included_lifts=estimate.included_lifts,
                lifts=estimate.lifts_so_far,
                emailed=deliver,
            )
            for to in recipients if deliver else ():
                mail_enqueue(to=to, template="usage_alert", context=context, authority=authority)
    except IntegrityError:
        return False  # alerted by another run meanwhile
    return True


def usage_alerts_record_past(*, today: datetime.date | None = None) -> int:
    """Records, without an email, the thresholds already reached by lifts the portal did
    not watch arrive (the demo's years of history, loaded at once): the periodic job then
    tells households only of what happens from then on. Returns how many were recorded."""
    return usage_alerts_send(today=today, deliver=False)


def usage_alerts_send(*, today: datetime.date | None = None, deliver: bool = True) -> int:
    """The periodic job: alerts each household whose lifts of the year reached those its
    plan includes. Returns how many subscriptions were alerted."""
    today = today or timezone.localdate()
    year = today.year
    sent = 0
    authority_ids = (
        Tariff.objects.filter(year=year).values_list("authority_id", flat=True).distinct()
    )
    for authority_id in sorted(set(authority_ids)):
        least = _least_included(authority_id, year)
        subscriptions = [s for s in _candidates(authority_id, today) if s.kind in least]
        if not subscriptions:
            continue
        first_days = {s.pk: max(datetime.date(year, 1, 1), s.subscribed_on) for s in subscriptions}
        usage = usage_of_subscriptions(
            subscriptions=subscriptions, days={pk: (day, today) for pk, day in first_days.items()}
        )
        for s in subscriptions:
            lifts = usage.get(s.pk, (0, 0))[0]
            last_day = min(datetime.date(year, 12, 31), s.ended_on or datetime.date(year, 12, 31))
            floor = year_share(least[s.kind], year, first_days[s.pk], last_day)
            if lifts == 0 or lifts < floor:
                continue
            # The estimate's own figures: the alert says what « Mes bacs/levées » shows.
            estimate = invoice_estimate(subscription=s, today=today)
            if (
                estimate is None
                or estimate.included_lifts <= 0
                or estimate.lifts_so_far < estimate.included_lifts
            ):
                continue
            sent += _send(s, estimate, deliver=deliver)
    return sent
