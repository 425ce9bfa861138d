"""PayFiP for titles (issue 13, item 4): in PES mode an invoice of a run reads « Titre en
cours de prise en charge » under « Règlement » until the public accountant accepts its
rôle, then « Régler » opens a payment with the title's references (refdet = its n° de
dette, exer = its bordereau's exercice). Invoices brought from the previous software, and
every invoice of an authority in régie, are paid as before."""

import datetime

import pytest
from django.urls import reverse

from levee.billing.models import Invoice
from levee.billing.space import invoices_for_account
from levee.payments.models import Payment, SandboxTransaction
from levee.payments.selectors import (
    Settlement,
    invoices_annotate_settlement,
    settlement_state,
)
from levee.payments.tests.conftest import make_invoice as make_previous_software_invoice
from levee.treasury.models import CollectionMode, PesFileStatus
from levee.treasury.services import (
    pes_file_generate,
    pes_file_mark_accepted,
    pes_file_mark_rejected,
    pes_file_mark_transmitted,
)
from testkit import ccfi_world, make_user

from .builders import another_account, pes_settings, published_run, run_invoice

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 12, 2)
FAR = datetime.date(2099, 1, 31)  # due far ahead: payable whatever the machine's date


@pytest.fixture
def world():
    authority, account = ccfi_world()
    settings = pes_settings(authority)
    run = published_run(authority)
    invoice = run_invoice(run, account, 1, due_on=FAR)
    agent = make_user("claire.verhaeghe@example.org")
    resident = make_user("dupont59@gmail.com", accounts=[account])
    return authority, account, settings, run, invoice, agent, resident


def state_of(invoice):
    return settlement_state(Invoice.objects.get(pk=invoice.pk), today=TODAY)


def accepted(run, agent):
    (pes_file,) = pes_file_generate(run=run, by=agent)
    pes_file_mark_transmitted(pes_file=pes_file, by=agent)
    return pes_file_mark_accepted(pes_file=pes_file, by=agent)


def test_a_run_invoice_waits_for_its_title_until_the_role_is_accepted(world):
    authority, account, settings, run, invoice, agent, resident = world
    assert state_of(invoice).state == Settlement.TITLE_PENDING
    (pes_file,) = pes_file_generate(run=run, by=agent)
    assert state_of(invoice).state == Settlement.TITLE_PENDING
    pes_file_mark_transmitted(pes_file=pes_file, by=agent)
    assert state_of(invoice).state == Settlement.TITLE_PENDING
    pes_file_mark_accepted(pes_file=pes_file, by=agent)
    payable = state_of(invoice)
    assert payable.state == Settlement.PAYABLE
    assert payable.title_year == 2026


def test_a_rejected_role_leaves_its_invoices_waiting_for_their_title(world):
    authority, account, settings, run, invoice, agent, resident = world
    (pes_file,) = pes_file_generate(run=run, by=agent)
    pes_file_mark_transmitted(pes_file=pes_file, by=agent)
    pes_file = pes_file_mark_rejected(pes_file=pes_file, by=agent, reason="Poste inconnu")
    assert pes_file.status == PesFileStatus.REJECTED
    assert state_of(invoice).state == Settlement.TITLE_PENDING


def test_only_the_invoices_of_the_accepted_bordereau_become_payable(world):
    authority, account, settings, run, invoice, agent, resident = world
    settings.pieces_per_file = 1
    settings.save(update_fields=["pieces_per_file"])
    second = run_invoice(run, another_account(authority, "00002"), 2, due_on=FAR)
    first_file, second_file = pes_file_generate(run=run, by=agent)
    pes_file_mark_transmitted(pes_file=first_file, by=agent)
    pes_file_mark_accepted(pes_file=first_file, by=agent)
    assert state_of(invoice).state == Settlement.PAYABLE
    assert state_of(second).state == Settlement.TITLE_PENDING


def test_an_invoice_from_the_previous_software_stays_payable_in_pes_mode(world):
    authority, account, settings, run, invoice, agent, resident = world
    seed = make_previous_software_invoice(account, due_on=FAR)
    state = state_of(seed)
    assert state.state == Settlement.PAYABLE
    assert state.title_year is None


def test_in_regie_a_run_invoice_is_payable_as_before(world):
    authority, account, settings, run, invoice, agent, resident = world
    settings.collection_mode = CollectionMode.REGIE
    settings.save(update_fields=["collection_mode"])
    assert state_of(invoice).state == Settlement.PAYABLE


def test_an_authority_without_public_accounting_settings_is_a_regie(world):
    authority, account, settings, run, invoice, agent, resident = world
    settings.delete()
    assert state_of(invoice).state == Settlement.PAYABLE


def test_the_list_reads_the_titles_in_one_query_for_all_its_invoices(
    world, django_assert_num_queries
):
    authority, account, settings, run, invoice, agent, resident = world
    seed = make_previous_software_invoice(account, due_on=FAR)
    accepted(run, agent)
    rows = list(invoices_annotate_settlement(invoices_for_account(account)))
    assert {row.pk for row in rows} == {invoice.pk, seed.pk}
    authority.public_accounting_settings  # noqa: B018 — the page has read it once already
    for row in rows:
        row.authority = authority
    with django_assert_num_queries(1):  # the billing settings' grace days, read once
        states = {row.pk: settlement_state(row, today=TODAY, authority=authority) for row in rows}
    assert {s.state for s in states.values()} == {Settlement.PAYABLE}
    assert states[invoice.pk].title_year == 2026
    assert states[seed.pk].title_year is None


def test_mes_factures_says_the_title_is_being_taken_in_charge_and_offers_no_regler(client, world):
    authority, account, settings, run, invoice, agent, resident = world
    client.force_login(resident)
    url = reverse("billing:invoices", args=[authority.slug])
    page = client.get(url).content.decode()
    assert "Titre en cours de prise en charge" in page
    assert reverse("payments:pay", args=[authority.slug, invoice.pk]) not in page
    refused = client.post(reverse("payments:pay", args=[authority.slug, invoice.pk]))
    assert not Payment.objects.exists()
    assert refused.status_code in (302, 400, 409)
    accepted(run, agent)
    page = client.get(url).content.decode()
    assert "Titre en cours de prise en charge" not in page
    assert reverse("payments:pay", args=[authority.slug, invoice.pk]) in page


def test_regler_a_title_sends_its_debt_number_and_its_bordereaus_exercice(client, world):
    authority, account, settings, run, invoice, agent, resident = world
    # A run issued in January 2027 for the 2nd half of 2026: the title's exercice is 2027,
    # the invoice's billing year stays 2026.
    run.issued_on = datetime.date(2027, 1, 5)
    run.save(update_fields=["issued_on"])
    Invoice.objects.filter(pk=invoice.pk).update(issued_on=run.issued_on, year=2026)
    pes_file = accepted(run, agent)
    assert pes_file.year == 2027
    client.force_login(resident)
    response = client.post(reverse("payments:pay", args=[authority.slug, invoice.pk]))
    sandbox = SandboxTransaction.objects.get()
    assert response.status_code == 302
    assert (sandbox.refdet, sandbox.exer) == (invoice.number, "2027")
    screen = client.get(reverse("payments:sandbox_debt", args=[sandbox.idop])).content.decode()
    assert invoice.number in screen
    assert "Exercice :</dt><dd>2027" in screen
