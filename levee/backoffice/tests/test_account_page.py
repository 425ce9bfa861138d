"""An account's page in the back office: its bins, recent lifts (and all of them), invoices
and payments, requests, mandates and Journal entries, with the actions on them, in a number
of queries that does not grow with its history."""

import datetime
from html import unescape

import pytest

from levee.agents.models import Agent
from levee.agents.roles import AgentRole
from levee.agents.services import account_key_regenerate
from levee.billing.tests.factories import make_invoice
from levee.collection.models import Bin, Lift
from levee.payments.models import Mandate, Payment, PaymentStatus
from testkit import ccfi_world, make_user, pilat_world

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return unescape(response.content.decode())


@pytest.fixture
def world():
    ccfi, account = ccfi_world()
    pilat, _ = pilat_world()
    agent = make_user("accueil@flandre.example.org")
    Agent.objects.create(authority=ccfi, user=agent, role=AgentRole.ACCUEIL)
    reader = make_user("lecture@flandre.example.org")
    Agent.objects.create(authority=ccfi, user=reader, role=AgentRole.CONSULTATION)
    other = make_user("agent.pilat@example.org")
    Agent.objects.create(authority=pilat, user=other, role=AgentRole.ADMINISTRATEUR)
    bin_ = Bin.objects.create(
        authority=ccfi,
        subscription=account.subscriptions.get(),
        account=account,
        flux="ordures_menageres",
        volume_litres=120,
        tank_number="C-4471",
        delivered_on=datetime.date(2022, 6, 30),
    )
    return {
        "ccfi": ccfi,
        "account": account,
        "agent": agent,
        "reader": reader,
        "other": other,
        "bin": bin_,
    }


def grow(world, n: int, start: int = 0):
    """n more lifts, invoices, payments, mandates and Journal entries on the account."""
    account, ccfi = world["account"], world["ccfi"]
    for i in range(start, start + n):
        Lift.objects.create(
            authority=ccfi,
            bin=world["bin"],
            lifted_at=datetime.datetime(2025, 1, 1, 8, tzinfo=datetime.UTC)
            + datetime.timedelta(days=i),
            net_weight_grams=12000,
        )
        invoice = make_invoice(
            account,
            number=f"25000010{i:05d}",
            issued_on=datetime.date(2025, 7, 1),
            total_cents=8794,
        )
        Payment.objects.create(
            authority=ccfi,
            invoice=invoice,
            account=account,
            gateway="sandbox",
            status=PaymentStatus.REFUSED,
            amount_cents=8794,
        )
        Mandate.objects.create(
            authority=ccfi,
            account=account,
            rum=f"RUM{i:05d}",
            creditor_identifier="FR00ZZZ",
            schedule="annuel",
            holder_name="DUPONT PIERRE",
            iban="FR7630006000011234567890189",
            bic="AGRIFRPP",
            signed_on=datetime.date(2024, 1, 1),
            status="revoque",
        )
        account_key_regenerate(account=account, agent_user=world["agent"])


def test_the_page_shows_the_account_s_whole_life_with_the_actions_on_it(client, world):
    grow(world, 2)
    client.force_login(world["agent"])
    page = text(client.get(f"/backoffice/comptes/{world['account'].pk}/"))
    for heading in (
        "Bacs",
        "Dernières levées",
        "Factures",
        "Derniers règlements",
        "Dernières demandes",
        "Mandats de prélèvement",
        "Journal des actions sur ce compte",
    ):
        assert f">{heading}</h2>" in page
    assert "Ordures ménagères" in page and "C-4471" in page
    assert "02/01/2025" in page and f"/backoffice/comptes/{world['account'].pk}/levees/" in page
    assert "2500001000001" in page and "RUM00001" in page
    # A refused attempt is no règlement.
    assert "Aucun règlement pour ce compte." in page
    assert "FR7630006000011234567890189" not in page  # the IBAN masked
    assert "clé d'activation du compte 00001 (DUPONT PIERRE) régénérée" in page
    assert f"?compte={world['account'].code}" in page
    assert "/nouvelle-cle/" in page and "/ouvrir-espace/" in page


def test_the_page_reads_in_a_constant_number_of_queries(
    client, world, django_assert_max_num_queries
):
    grow(world, 1)
    client.force_login(world["reader"])
    url = f"/backoffice/comptes/{world['account'].pk}/"
    with django_assert_max_num_queries(40) as few:
        assert client.get(url).status_code == 200
    grow(world, 15, start=1)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200


def test_all_the_lifts_are_paginated_and_another_authority_sees_none(client, world):
    grow(world, 3)
    client.force_login(world["reader"])
    lifts = text(client.get(f"/backoffice/comptes/{world['account'].pk}/levees/"))
    assert "3 levées" in lifts and "03/01/2025" in lifts
    client.force_login(world["other"])
    for url in ("", "levees/"):
        assert client.get(f"/backoffice/comptes/{world['account'].pk}/{url}").status_code == 404


def test_derniers_reglements_lists_every_settled_payment(client, world):
    """Online payments settled, debits taken and invoices recorded as paid (brought from
    the previous software): date, invoice number, mode and amount; an attempt refused and a
    debit still to come are none."""
    from django.utils import timezone

    from levee.billing.models import InvoiceStatus
    from levee.payments.models import DebitStatus, ScheduledDebit

    account, ccfi = world["account"], world["ccfi"]
    today = timezone.localdate()
    online = make_invoice(
        account, number="2500001000101", issued_on=datetime.date(2025, 7, 1), total_cents=8794
    )
    Payment.objects.create(
        authority=ccfi,
        invoice=online,
        account=account,
        gateway="sandbox",
        status=PaymentStatus.PAID,
        method="carte",
        paid_at=datetime.datetime(2025, 7, 20, 9, tzinfo=datetime.UTC),
        amount_cents=8794,
    )
    debited = make_invoice(
        account, number="2500001000102", issued_on=datetime.date(2025, 8, 1), total_cents=8794
    )
    mandate = Mandate.objects.create(
        authority=ccfi,
        account=account,
        rum="RUM-TAKEN",
        creditor_identifier="FR00ZZZ",
        schedule="mensuel",
        holder_name="DUPONT PIERRE",
        iban="FR7630006000011234567890189",
        bic="AGRIFRPP",
        signed_on=datetime.date(2024, 1, 1),
    )
    for due_on, status, cents in (
        (datetime.date(2025, 9, 10), DebitStatus.SENT, 1466),
        (today + datetime.timedelta(days=30), DebitStatus.PLANNED, 1577),
        (datetime.date(2025, 10, 10), DebitStatus.REJECTED, 1688),
    ):
        ScheduledDebit.objects.create(
            authority=ccfi,
            mandate=mandate,
            invoice=debited,
            due_on=due_on,
            amount_cents=cents,
            status=status,
        )
    legacy = make_invoice(
        account, number="2300001000103", issued_on=datetime.date(2023, 1, 1), total_cents=11315
    )
    type(legacy).objects.filter(pk=legacy.pk).update(
        status=InvoiceStatus.PAID,
        paid_at=datetime.datetime(2023, 1, 20, 10, 30, tzinfo=datetime.UTC),
        paid_by="chèque",
    )
    client.force_login(world["agent"])
    page = text(client.get(f"/backoffice/comptes/{account.pk}/"))
    section = page[page.index('id="account-payments"') : page.index('id="account-requests"')]
    rows = [" ".join(row.split()) for row in section.split("<tr>")[2:]]
    assert [r.split("</td>")[0].removeprefix("<td>") for r in rows] == [
        "10/09/2025",
        "20/07/2025",
        "20/01/2023",
    ]
    assert "2500001000102" in rows[0] and "Prélèvement" in rows[0] and "14,66" in rows[0]
    assert "2500001000101" in rows[1] and "Carte bancaire" in rows[1] and "87,94" in rows[1]
    assert "2300001000103" in rows[2] and "Chèque" in rows[2]
    assert "15,77" not in section and "16,88" not in section
