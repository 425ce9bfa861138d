"""The full IBAN of a mandate never shows in the platform's admin: the account's
subscriptions, the mandates and the request that asked for them show it masked, like
everywhere else, and nobody changes it there."""

import re

import pytest
from django.contrib import admin

from levee.payments.models import Mandate
from levee.subscribers.models import Subscription
from testkit import make_user

from .test_direct_debit import MASKED, accept, ask, world  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

FULL = ("FR7630006000011234567890189", "FR76 3000 6000 0112 3456 7890 189", "30006000011234567890")


@pytest.fixture
def mandated(client, world):  # noqa: F811
    client.force_login(world["resident"])
    service_request = ask(client)
    accept(client, world, service_request)
    mandate = Mandate.objects.get()
    assert Subscription.objects.filter(iban=FULL[0]).exists()
    operator = make_user("admin@example.org")
    operator.is_staff = operator.is_superuser = True
    operator.save(update_fields=["is_staff", "is_superuser"])
    client.force_login(operator)
    return {"mandate": mandate, "request": service_request, "account": world["account"]}


def assert_masked(response):
    body = response.content.decode()
    assert response.status_code == 200
    for clear in FULL:
        assert clear not in body
    return body


def test_the_admin_pages_show_the_iban_masked(client, mandated):
    pages = [
        f"/admin/subscribers/account/{mandated['account'].pk}/change/",
        "/admin/payments/mandate/",
        f"/admin/payments/mandate/{mandated['mandate'].pk}/change/",
        "/admin/requests/servicerequest/",
        f"/admin/requests/servicerequest/{mandated['request'].pk}/change/",
    ]
    bodies = [assert_masked(client.get(url)) for url in pages]
    for body in (bodies[0], bodies[2], bodies[4]):
        assert MASKED in body


def test_nobody_changes_the_iban_in_the_admin(client, mandated):
    account_page = client.get(f"/admin/subscribers/account/{mandated['account'].pk}/change/")
    mandate_page = client.get(f"/admin/payments/mandate/{mandated['mandate'].pk}/change/")
    assert not re.search(r'name="[^"]*iban"', account_page.content.decode())
    assert not re.search(r'name="[^"]*iban"', mandate_page.content.decode())


def test_no_admin_searches_an_iban():
    """A search by IBAN would tell who holds it: no admin offers one."""
    for model_admin in admin.site._registry.values():
        assert not [f for f in model_admin.search_fields if "iban" in f], model_admin
