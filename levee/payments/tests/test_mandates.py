"""SEPA mandates: their RUM, the debits of an invoice under each schedule (monthly splits
add up to the cent), planning them on publication, replacing and revoking a mandate."""

import datetime

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from levee.billing.models import Invoice, InvoiceStatus
from levee.payments.mandates import (
    DEBIT_DAY,
    MONTHLY_MAX_DEBITS,
    MandateRefused,
    cents_split,
    debits_of,
    invoices_debit_plan,
    mandate_create,
    mandate_revoke,
    rum_next,
)
from levee.payments.models import (
    DebitSchedule,
    DebitStatus,
    Mandate,
    MandateStatus,
    PaymentSettings,
    ScheduledDebit,
)
from levee.payments.selectors_mandates import next_debit_on
from levee.subscribers.models import PaymentMode
from testkit import ccfi_world, make_account, pilat_world

ICS = "FR12ZZZ123456"
IBAN = "FR7630006000011234567890189"
OTHER_IBAN = "FR7617906000320008335232973"
TODAY = datetime.date(2024, 3, 5)


def make_invoice(account, *, number: str, total_cents: int = 8794, **fields) -> Invoice:
    """A published invoice of the account's subscription for 2023, due 02/08/2023 unless
    told otherwise."""
    values = {
        "authority": account.authority,
        "account": account,
        "subscription": account.subscriptions.first(),
        "status": InvoiceStatus.OPEN,
        "year": 2023,
        "number": number,
        "issued_on": datetime.date(2023, 7, 2),
        "due_on": datetime.date(2023, 8, 2),
        "period_start": datetime.date(2023, 1, 1),
        "period_end": datetime.date(2023, 12, 31),
        "total_ht_cents": total_cents,
        "vat_cents": 0,
        "total_cents": total_cents,
        "payer_name": account.holder_name,
        "payer_address": account.billing_address_line,
        "published_at": timezone.now(),
    }
    values.update(fields)
    return Invoice.objects.create(**values)


def ics_set(authority, ics: str = ICS) -> None:
    PaymentSettings.objects.update_or_create(
        authority=authority, defaults={"creditor_identifier": ics}
    )


def mandate_make(account, *, schedule=DebitSchedule.PER_INVOICE, iban=IBAN, today=TODAY):
    return mandate_create(
        account=account,
        schedule=schedule,
        holder_name="Pierre DUPONT",
        iban=iban,
        bic="AGRIFRPPXXX",
        signed_on=datetime.date(2024, 3, 1),
        today=today,
    )


@pytest.fixture
def ccfi(db):
    authority, account = ccfi_world()
    ics_set(authority)
    return account


# The arithmetic


@given(
    total=st.integers(min_value=1, max_value=10**9),
    parts=st.integers(min_value=1, max_value=MONTHLY_MAX_DEBITS),
)
def test_a_split_adds_up_to_the_cent_and_differs_by_one_cent_at_most(total, parts):
    amounts = cents_split(total, parts)
    assert sum(amounts) == total
    assert len(amounts) == parts
    assert max(amounts) - min(amounts) <= 1
    assert amounts == sorted(amounts, reverse=True)


@given(
    total=st.integers(min_value=1, max_value=10**8),
    issued_on=st.dates(min_value=datetime.date(2020, 1, 1), max_value=datetime.date(2030, 12, 31)),
    today=st.dates(min_value=datetime.date(2020, 1, 1), max_value=datetime.date(2030, 12, 31)),
    period_months=st.integers(min_value=1, max_value=24),
)
def test_monthly_debits_add_up_to_the_total_on_a_fixed_day_from_the_month_after_issue(
    total, issued_on, today, period_months
):
    period_start = datetime.date(2023, 1, 1)
    end_index = 2023 * 12 + period_months - 1
    period_end = datetime.date(end_index // 12, end_index % 12 + 1, 1)
    debits = debits_of(
        schedule=DebitSchedule.MONTHLY,
        total_cents=total,
        issued_on=issued_on,
        due_on=issued_on + datetime.timedelta(days=30),
        period_start=period_start,
        period_end=period_end,
        today=today,
    )
    assert sum(cents for _, cents in debits) == total
    assert all(cents > 0 for _, cents in debits)
    assert len(debits) == min(MONTHLY_MAX_DEBITS, period_months, total)
    dates = [on for on, _ in debits]
    assert all(on.day == DEBIT_DAY for on in dates)
    start = max(issued_on, today)
    first_month = (start.year * 12 + start.month) + 1
    assert [d.year * 12 + d.month for d in dates] == list(
        range(first_month, first_month + len(dates))
    )


def debits_of_2023(
    *, schedule=DebitSchedule.MONTHLY, total_cents=8794, period_end=datetime.date(2023, 12, 31)
):
    """The debits of an invoice of 2023 issued on 02/07/2023, due 02/08/2023, planned that
    day."""
    return debits_of(
        schedule=schedule,
        total_cents=total_cents,
        issued_on=datetime.date(2023, 7, 2),
        due_on=datetime.date(2023, 8, 2),
        period_start=datetime.date(2023, 1, 1),
        period_end=period_end,
        today=datetime.date(2023, 7, 2),
    )


def test_a_yearly_invoice_is_debited_in_ten_months_and_a_half_year_in_six():
    yearly = debits_of_2023()
    assert yearly[0] == (datetime.date(2023, 8, 10), 880)
    assert yearly[-1] == (datetime.date(2024, 5, 10), 879)
    assert [cents for _, cents in yearly] == [880] * 4 + [879] * 6
    half = debits_of_2023(total_cents=6000, period_end=datetime.date(2023, 6, 30))
    assert half == [(datetime.date(2023, m, 10), 1000) for m in range(8, 13)] + [
        (datetime.date(2024, 1, 10), 1000)
    ]


def test_per_invoice_is_one_debit_of_the_whole_at_the_due_date():
    assert debits_of_2023(schedule=DebitSchedule.PER_INVOICE) == [(datetime.date(2023, 8, 2), 8794)]


def test_nothing_is_debited_of_an_invoice_of_zero_or_less():
    for schedule in DebitSchedule.values:
        for total in (0, -500):
            assert debits_of_2023(schedule=schedule, total_cents=total) == []


# The RUM


def test_the_rum_names_the_authority_and_the_account_and_counts_its_mandates(ccfi):
    assert rum_next(authority=ccfi.authority, account=ccfi) == "RUM-00240-00001-1"
    mandate_make(ccfi)
    assert rum_next(authority=ccfi.authority, account=ccfi) == "RUM-00240-00001-2"


def test_the_rum_stays_within_35_characters_and_unique(ccfi):
    long = make_account(ccfi.authority, code="ABC-1234567890123456", portal_key="LONGCODE")
    rum = rum_next(authority=ccfi.authority, account=long)
    assert len(rum) <= 35 and rum.startswith("RUM-00240-ABC") and rum.endswith("-1")
    Mandate.objects.create(
        authority=ccfi.authority,
        account=ccfi,
        rum=rum,
        creditor_identifier=ICS,
        schedule=DebitSchedule.MONTHLY,
        holder_name="X",
        iban=IBAN,
        bic="AGRIFRPPXXX",
        signed_on=TODAY,
        status=MandateStatus.REVOKED,
    )
    assert rum_next(authority=ccfi.authority, account=long) == rum[:-2] + "-2"


# Creating a mandate


def test_without_a_creditor_identifier_no_mandate_is_created(db):
    authority, account = ccfi_world()
    with pytest.raises(MandateRefused, match="identifiant créancier SEPA"):
        mandate_make(account)
    ics_set(authority, "  ")
    with pytest.raises(MandateRefused):
        mandate_make(account)
    assert not Mandate.objects.exists()


def test_a_mandate_debits_the_open_invoices_not_yet_due_and_the_subscriptions(ccfi):
    due = make_invoice(ccfi, number="2400240000001", due_on=datetime.date(2024, 4, 2))
    overdue = make_invoice(ccfi, number="2300240069928")
    paid = make_invoice(
        ccfi,
        number="2400240000002",
        due_on=datetime.date(2024, 4, 2),
        status=InvoiceStatus.PAID,
        paid_at=timezone.now(),
    )
    simulated = make_invoice(
        ccfi, number="", status=InvoiceStatus.SIMULATED, due_on=datetime.date(2024, 4, 2)
    )
    created = mandate_make(ccfi)
    mandate = created.mandate
    assert mandate.rum == "RUM-00240-00001-1" and mandate.creditor_identifier == ICS
    assert mandate.status == MandateStatus.ACTIVE and created.invoices_debited == 1
    assert [(d.invoice, d.due_on, d.amount_cents) for d in mandate.debits.all()] == [
        (due, datetime.date(2024, 4, 2), 8794)
    ]
    due.refresh_from_db()
    assert due.direct_debit
    for invoice in (overdue, paid, simulated):
        invoice.refresh_from_db()
        assert not invoice.direct_debit
    subscription = ccfi.subscriptions.get()
    assert subscription.payment_mode == PaymentMode.DIRECT_DEBIT and subscription.iban == IBAN


def test_a_monthly_mandate_splits_an_invoice_issued_before_it_from_the_next_month(ccfi):
    invoice = make_invoice(ccfi, number="2400240000001", due_on=datetime.date(2024, 4, 2))
    mandate_make(ccfi, schedule=DebitSchedule.MONTHLY)
    debits = list(invoice.debits.order_by("due_on"))
    assert len(debits) == 10 and sum(d.amount_cents for d in debits) == 8794
    assert debits[0].due_on == datetime.date(2024, 4, 10)
    assert debits[-1].due_on == datetime.date(2025, 1, 10)


def test_a_new_mandate_revokes_the_previous_and_takes_over_its_planned_debits(ccfi):
    invoice = make_invoice(ccfi, number="2400240000001", due_on=datetime.date(2024, 4, 2))
    first = mandate_make(ccfi).mandate
    second = mandate_make(ccfi, schedule=DebitSchedule.MONTHLY, iban=OTHER_IBAN)
    first.refresh_from_db()
    assert first.status == MandateStatus.REVOKED and first.revoked_on == TODAY
    assert second.replaced == first and second.mandate.rum == "RUM-00240-00001-2"
    # The debit the resident was told of keeps its date and amount, under the new mandate.
    assert [(d.mandate, d.due_on, d.amount_cents) for d in invoice.debits.all()] == [
        (second.mandate, datetime.date(2024, 4, 2), 8794)
    ]
    assert ccfi.subscriptions.get().iban == OTHER_IBAN


# Planning on publication


def test_publishing_debits_the_invoices_of_accounts_with_a_mandate_only_once(ccfi):
    neighbour = make_account(ccfi.authority, code="00002", portal_key="NEIGHBOR")
    mandate_make(ccfi, schedule=DebitSchedule.MONTHLY)
    mine = make_invoice(ccfi, number="2400240000010", issued_on=TODAY)
    theirs = make_invoice(neighbour, number="2400240000011", issued_on=TODAY)
    assert invoices_debit_plan(invoices=[mine, theirs], today=TODAY) == 1
    assert mine.direct_debit and not theirs.direct_debit
    assert mine.debits.count() == 10 and not theirs.debits.exists()
    # Again, even months later: nothing more.
    assert invoices_debit_plan(invoices=[mine], today=datetime.date(2024, 9, 1)) == 1
    assert mine.debits.count() == 10
    assert sum(mine.debits.values_list("amount_cents", flat=True)) == 8794


def test_another_authoritys_mandate_debits_nothing_here(ccfi):
    pilat, pelussin = pilat_world()
    ics_set(pilat, "FR98ZZZ654321")
    stranger = make_account(pilat, code="00001", portal_key="VZKRTQPM", commune=pelussin)
    mandate_make(stranger)
    invoice = make_invoice(ccfi, number="2400240000010", issued_on=TODAY)
    assert invoices_debit_plan(invoices=[invoice], today=TODAY) == 0
    assert not ScheduledDebit.objects.filter(invoice=invoice).exists()


def test_an_invoice_knows_the_date_of_its_next_planned_debit(ccfi):
    debited = make_invoice(ccfi, number="2400240000001", due_on=datetime.date(2024, 4, 2))
    mandate_make(ccfi, schedule=DebitSchedule.MONTHLY)
    make_invoice(ccfi, number="2400240000002", due_on=datetime.date(2024, 1, 2))
    ScheduledDebit.objects.filter(due_on=datetime.date(2024, 4, 10)).update(status=DebitStatus.SENT)
    dates = dict(
        Invoice.objects.annotate(next_debit_on=next_debit_on()).values_list(
            "number", "next_debit_on"
        )
    )
    assert dates == {"2400240000001": datetime.date(2024, 5, 10), "2400240000002": None}
    assert debited.debits.count() == 10


# Revoking


def test_revoking_cancels_the_planned_debits_and_makes_the_invoices_payable(ccfi):
    planned = make_invoice(ccfi, number="2400240000001", due_on=datetime.date(2024, 4, 2))
    sent = make_invoice(ccfi, number="2400240000002", due_on=datetime.date(2024, 4, 2))
    mandate = mandate_make(ccfi, schedule=DebitSchedule.MONTHLY).mandate
    first = sent.debits.order_by("due_on").first()
    ScheduledDebit.objects.filter(pk=first.pk).update(status=DebitStatus.SENT)
    revoked = mandate_revoke(mandate=mandate, today=datetime.date(2024, 3, 20))
    assert revoked.debits_cancelled == 19 and revoked.invoices_payable == 1
    mandate.refresh_from_db()
    assert mandate.status == MandateStatus.REVOKED
    assert mandate.revoked_on == datetime.date(2024, 3, 20)
    assert not ScheduledDebit.objects.filter(status=DebitStatus.PLANNED).exists()
    planned.refresh_from_db()
    sent.refresh_from_db()
    # Half debited already: it stays with the bank's debit, not offered for payment.
    assert not planned.direct_debit and sent.direct_debit
    subscription = ccfi.subscriptions.get()
    assert subscription.payment_mode == PaymentMode.INVOICE and subscription.iban == ""
    with pytest.raises(MandateRefused, match="déjà révoqué"):
        mandate_revoke(mandate=mandate)
    assert ScheduledDebit.objects.filter(status=DebitStatus.CANCELLED).count() == 19
