"""The one account creation: the next free code usager, a new identifiant portail, the first
subscription at the dwelling, and the next code when another creation took it meanwhile."""

import datetime
import threading

import pytest
from django.db import connections, transaction

from levee.subscribers.models import Account
from levee.subscribers.services import KEY_ALPHABET, account_create
from testkit import ccfi_world

VALUES = {"last_name": "MARTIN", "first_name": "Marie", "email": "marie@example.org"}


def dwelling(account):
    commune = account.subscriptions.get().commune
    return {"commune": commune, "postal_code": "59270", "street": "rue de Lille", "number": "5"}


@pytest.mark.django_db
def test_an_account_gets_the_next_code_a_new_key_and_its_first_subscription():
    authority, existing = ccfi_world()  # account 00001
    account = account_create(
        authority=authority,
        values=VALUES,
        dwelling=dwelling(existing),
        on=datetime.date(2026, 12, 20),
    )
    assert account.code == "00002"
    assert len(account.portal_key) == 8 and set(account.portal_key) <= set(KEY_ALPHABET)
    assert account.portal_key != existing.portal_key
    subscription = account.subscriptions.get()
    assert subscription.reference == "00002"
    assert subscription.subscribed_on == datetime.date(2026, 12, 20)
    assert subscription.street == "rue de Lille" and subscription.commune.name == "Bailleul"


@pytest.mark.django_db
def test_an_import_keeps_its_own_code_and_key_and_opens_no_subscription():
    authority, _ = ccfi_world()
    account = account_create(authority=authority, values=VALUES, code="A-77", portal_key="XYZWVUTS")
    assert (account.code, account.portal_key) == ("A-77", "XYZWVUTS")
    assert not account.subscriptions.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgresql
def test_two_creations_at_the_same_moment_get_two_codes():
    authority, _ = ccfi_world()
    first_inserted, second_done = threading.Event(), threading.Event()
    codes, errors = [], []

    def first():
        try:
            with transaction.atomic():
                codes.append(account_create(authority=authority, values=VALUES).code)
                first_inserted.set()
                second_done.wait(timeout=2)  # the second one computes the same code meanwhile
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connections.close_all()

    def second():
        try:
            first_inserted.wait(timeout=10)
            # 00002 is taken by the first, not yet committed: the insert waits for it, fails
            # on the unique code once it commits, and is retried with the next code.
            timer = threading.Timer(0.5, second_done.set)
            timer.start()
            codes.append(account_create(authority=authority, values=VALUES).code)
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            second_done.set()
            connections.close_all()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert sorted(codes) == ["00002", "00003"]
    assert Account.objects.filter(authority=authority).count() == 3
