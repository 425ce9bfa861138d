import datetime
import zoneinfo

import pytest
from django.db.models import Sum

from levee.billing.demo import demo_billing_load
from levee.billing.models import Invoice, InvoiceSequence, InvoiceStatus, Tariff
from levee.billing.pricing import PlanPrices, invoice_compute
from levee.collection.models import Flux, Lift
from levee.payments.models import Mandate, MandateStatus, PaymentSettings
from levee.subscribers.models import PaymentMode, Subscription

pytestmark = pytest.mark.django_db

DEMO_TODAY = datetime.date(2026, 11, 25)
PARIS = zoneinfo.ZoneInfo("Europe/Paris")


@pytest.fixture
def demo(demo_world, db):
    return demo_world


def test_it_holds_seed_004s_unpaid_invoice(demo):
    invoice = Invoice.objects.get(authority__slug="flandre-interieure", number="2300240069928")

    assert invoice.account.code == "00001"
    assert invoice.issued_on == datetime.date(2023, 7, 2)
    assert invoice.total_cents == 8794
    assert invoice.status == InvoiceStatus.OPEN
    assert invoice.payer_name == "DUPONT PIERRE"
    assert invoice.lines.aggregate(total=Sum("amount_cents"))["total"] == 8794


def test_seed_004s_invoice_is_what_the_tariff_gives_for_the_lifts_of_the_half_year(demo):
    invoice = Invoice.objects.get(authority__slug="flandre-interieure", number="2300240069928")
    plan = Tariff.objects.get(authority=invoice.authority, year=2023).plans.get(volume_litres=120)
    lifts = Lift.objects.filter(
        bin__account=invoice.account,
        bin__flux=Flux.ORDURES_MENAGERES,
        lifted_at__gte=datetime.datetime(2023, 1, 1, tzinfo=PARIS),
        lifted_at__lt=datetime.datetime(2023, 7, 1, tzinfo=PARIS),
    ).count()

    computed = invoice_compute(
        plan=PlanPrices(plan.label, plan.fixed_cents, plan.included_lifts, plan.extra_lift_cents),
        vat_rate_bp=0,
        year=2023,
        first_day=datetime.date(2023, 1, 1),
        last_day=datetime.date(2023, 6, 30),
        lifts=lifts,
    )

    assert computed.total_cents == 8794
    assert [line.amount_cents for line in invoice.lines.order_by("position")] == [
        line.amount_cents for line in computed.lines
    ]


def test_its_numbers_have_no_gap_per_authority_and_year(demo):
    for sequence in InvoiceSequence.objects.all():
        numbers = sorted(
            int(n[7:])
            for n in Invoice.objects.filter(
                authority=sequence.authority, year=sequence.year
            ).values_list("number", flat=True)
        )
        assert numbers == list(range(sequence.first_value, sequence.next_value))
        prefix = f"{sequence.year % 100:02d}{sequence.authority.code}"
        assert not Invoice.objects.filter(authority=sequence.authority, year=sequence.year).exclude(
            number__startswith=prefix
        )


def test_marie_martin_has_paid_and_unpaid_invoices(demo):
    statuses = set(
        Invoice.objects.filter(
            authority__slug="flandre-interieure", account__code="00002"
        ).values_list("status", flat=True)
    )

    assert statuses == {InvoiceStatus.PAID, InvoiceStatus.OPEN}


def test_every_invoice_adds_up_and_paid_ones_have_a_date(demo):
    for invoice in Invoice.objects.prefetch_related("lines"):
        assert sum(line.amount_cents for line in invoice.lines.all()) == invoice.total_ht_cents
        assert invoice.total_cents == invoice.total_ht_cents + invoice.vat_cents
        assert (invoice.paid_at is not None) == (invoice.status == InvoiceStatus.PAID)
    assert Invoice.objects.filter(authority__slug="pilat-rhodanien", vat_cents__gt=0).exists()


def test_both_authorities_pay_through_the_sandbox_with_a_creditor_identifier(demo):
    for settings in PaymentSettings.objects.all():
        assert settings.gateway == "sandbox"
        ics = settings.creditor_identifier
        digits = "".join(str(int(c, 36)) for c in ics[7:] + "FR" + ics[2:4])
        assert int(digits) % 97 == 1


def test_loading_it_again_adds_nothing(demo):
    before = Invoice.objects.count()

    for slug in ("flandre-interieure", "pilat-rhodanien"):
        authority = Invoice.objects.filter(authority__slug=slug).first().authority
        assert demo_billing_load(authority=authority, today=DEMO_TODAY) == 0

    assert Invoice.objects.count() == before


def test_accounts_paying_by_direct_debit_hold_a_mandate_covering_their_open_invoices(demo):
    debited = Invoice.objects.filter(
        status=InvoiceStatus.OPEN, direct_debit=True, due_on__gte=DEMO_TODAY
    )
    mandated = set(
        Mandate.objects.filter(status=MandateStatus.ACTIVE).values_list("account_id", flat=True)
    )

    assert mandated
    assert (
        set(
            Subscription.objects.filter(payment_mode=PaymentMode.DIRECT_DEBIT).values_list(
                "account_id", flat=True
            )
        )
        <= mandated
    )
    for invoice in debited:
        assert invoice.account_id in mandated
        assert sum(d.amount_cents for d in invoice.debits.all()) == invoice.total_cents
