"""Which waiting payments the periodic job asks about: none in their first minutes (the
notification usually comes first), then with a back-off doubling up to an hour."""

import datetime

import pytest
from django.utils import timezone

from levee.payments.models import PaymentStatus
from levee.payments.selectors import backoff, payments_due_for_check
from levee.payments.services import payments_waiting_resolve

from .conftest import make_payment

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def at(minutes_ago: float) -> datetime.datetime:
    return NOW - datetime.timedelta(minutes=minutes_ago)


def test_the_back_off_doubles_from_one_minute_up_to_an_hour():
    assert [backoff(n).total_seconds() / 60 for n in range(8)] == [1, 2, 4, 8, 16, 32, 60, 60]
    assert backoff(30_000) == datetime.timedelta(hours=1)


def test_a_payment_is_checked_only_once_its_back_off_has_passed(world):
    payment = make_payment(world.invoice, order_id="op-1")
    type(payment).objects.filter(pk=payment.pk).update(created_at=at(60))
    assert payments_due_for_check(now=NOW) == [payment]  # never checked yet

    type(payment).objects.filter(pk=payment.pk).update(checks=3, last_checked_at=at(7))
    assert payments_due_for_check(now=NOW) == []  # 8 minutes after the third check
    type(payment).objects.filter(pk=payment.pk).update(last_checked_at=at(8))
    assert payments_due_for_check(now=NOW) == [payment]


def test_a_payment_in_its_first_minutes_and_final_ones_are_left_alone(world):
    make_payment(world.invoice, order_id="op-1")  # just started
    old = at(60)
    for status in (PaymentStatus.REFUSED, PaymentStatus.EXPIRED):
        final = make_payment(world.invoice, order_id=f"op-{status}", status=status)
        type(final).objects.filter(pk=final.pk).update(created_at=old)
    assert payments_due_for_check(now=NOW) == []


def test_a_payment_never_opened_at_its_gateway_is_expired_after_a_day(world):
    payment = make_payment(world.invoice)  # the gateway call never returned
    type(payment).objects.filter(pk=payment.pk).update(created_at=at(25 * 60))
    assert payments_waiting_resolve(now=NOW) == {"checked": 0, "settled": 0, "expired": 1}
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.EXPIRED
