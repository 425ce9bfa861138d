import datetime

import pytest

from levee.billing import selectors
from levee.billing.models import (
    BillingRun,
    BillingSettings,
    Invoice,
    InvoiceStatus,
    LineKind,
    RunKind,
    RunStatus,
)
from levee.billing.services import BillingError, billing_run_create, billing_run_execute
from levee.mailing.models import OutboxMessage
from testkit import ccfi_world, make_account, make_user

from .billing_builders import (
    every_other_week,
    make_badge_openings,
    make_household_bin,
    make_lifts,
    make_subscription,
    make_tariff,
)

D = datetime.date


@pytest.fixture
def run_create(django_capture_on_commit_callbacks):
    """billing_run_create, then what it enqueued on commit (the execution) runs at once,
    as in the embedded mode."""

    def create(**fields) -> BillingRun:
        with django_capture_on_commit_callbacks(execute=True):
            run = billing_run_create(**fields)
        run.refresh_from_db()
        return run

    return create


@pytest.fixture
def real_run(run_create):
    def create(authority, **fields) -> BillingRun:
        fields = {"year": 2023, "half": None, "issued_on": D(2023, 7, 2), **fields}
        return run_create(authority=authority, kind=RunKind.REAL, **fields)

    return create


@pytest.fixture
def world(db):
    authority, account = ccfi_world()
    account.email = "pierre.dupont@example.org"
    account.save(update_fields=["email"])
    subscription = account.subscriptions.get()
    om = make_household_bin(subscription, chip="E0040001", delivered_on=D(2022, 6, 30))
    make_lifts(om, every_other_week(2023, 26))
    tariff = make_tariff(authority)
    return authority, account, subscription, om, tariff


def test_the_tariff_in_force_is_the_highest_version_of_the_year(world):
    authority, *_, tariff = world
    newer = make_tariff(authority, version=2)
    make_tariff(authority, year=2024)
    assert selectors.tariff_in_force(authority=authority, year=2023) == newer
    assert selectors.tariff_in_force(authority=authority, year=2022) is None
    assert tariff != newer


def test_a_bin_subscription_takes_the_plan_of_its_household_bin_that_day(world):
    authority, account, subscription, om, tariff = world
    om.removed_on = D(2023, 3, 31)
    om.save(update_fields=["removed_on"])
    make_household_bin(subscription, volume=240, chip="E0040009", delivered_on=D(2023, 4, 1))
    plan_on = lambda day: selectors.plan_for(tariff=tariff, subscription=subscription, on=day)  # noqa: E731
    assert plan_on(D(2023, 2, 1)).label == "Bac 120 L"
    assert plan_on(D(2023, 6, 1)).label == "Bac 240 L"
    # Before any bin: the latest one.
    assert plan_on(D(2021, 1, 1)).label == "Bac 240 L"


def test_bags_and_badges_take_their_kind_s_plan_and_a_missing_plan_is_none(world):
    authority, account, subscription, om, tariff = world
    bag = make_subscription(account, reference="S1", kind="sac", subscribed_on=D(2023, 1, 1))
    badge = make_subscription(account, reference="B1", kind="badge", subscribed_on=D(2023, 1, 1))
    bare = make_subscription(account, reference="N1", subscribed_on=D(2023, 1, 1))
    assert selectors.plan_for(tariff=tariff, subscription=bag, on=D(2023, 5, 1)).label == "Sacs"
    assert selectors.plan_for(tariff=tariff, subscription=badge, on=D(2023, 5, 1)).label == "Badge"
    assert selectors.plan_for(tariff=tariff, subscription=bare, on=D(2023, 5, 1)) is None
    make_household_bin(bare, volume=770, chip="E0049999")
    assert selectors.plan_for(tariff=tariff, subscription=bare, on=D(2023, 5, 1)) is None


def test_usage_counts_the_household_lifts_of_the_days_and_the_account_s_badge_openings(world):
    authority, account, subscription, om, tariff = world
    other_flux = make_household_bin(subscription, chip="E0040002")
    other_flux.flux = "recyclables"
    other_flux.save(update_fields=["flux"])
    make_lifts(other_flux, every_other_week(2023, 5))
    usage = selectors.subscription_usage(
        subscription=subscription, first_day=D(2023, 1, 2), last_day=D(2023, 1, 30)
    )
    assert usage == (3, 37_500)  # 2, 16 and 30 January, the recyclables not counted
    badge = make_subscription(account, reference="B1", kind="badge", subscribed_on=D(2023, 1, 1))
    make_badge_openings(account, [D(2023, 1, 5), D(2023, 1, 6), D(2023, 2, 1)])
    assert selectors.subscription_usage(
        subscription=badge, first_day=D(2023, 1, 1), last_day=D(2023, 1, 31)
    ) == (2, 0)


def test_a_real_run_bills_the_year_numbers_and_publishes_the_invoice(world, real_run, mailbox):
    authority, account, subscription, om, tariff = world
    make_user("pierre@example.org", accounts=[account])
    run = real_run(authority)
    run.refresh_from_db()
    assert run.status == RunStatus.DONE, run.message
    assert run.label == "2023"
    assert run.due_on == D(2023, 8, 1)  # 30 days by default
    assert BillingSettings.objects.filter(authority=authority).exists()
    invoice = Invoice.objects.get(run=run)
    assert invoice.number == "2300240000001"
    assert invoice.status == InvoiceStatus.OPEN and invoice.published_at is not None
    assert invoice.tariff == tariff
    assert invoice.payer_name == "DUPONT Pierre"
    assert invoice.payer_address == "29 route de Méteren 59270 Bailleul"
    lines = list(invoice.lines.order_by("position"))
    assert [line.kind for line in lines] == [LineKind.FIXED, LineKind.INCLUDED, LineKind.EXTRA]
    assert lines[2].quantity == 14 and lines[2].amount_cents == 14 * 250
    assert invoice.total_cents == 7300 + 3500
    assert run.total_cents == invoice.total_cents and run.invoices_done == 1
    message = OutboxMessage.objects.get(template="invoice_available")
    assert message.to == "pierre.dupont@example.org"
    assert message.subject.startswith("Votre facture est disponible")
    assert "2300240000001" in message.body_text and "108,00" in message.body_text
    assert "01/08/2023" in message.body_text
    assert "/flandre-interieure/espace/mes-factures/" in message.body_text
    (sent,) = mailbox.messages
    assert sent.to == ["pierre.dupont@example.org"] and sent.subject == message.subject


def test_a_simulation_computes_the_same_figures_without_number_nor_publishing(world, run_create):
    authority, *_ = world
    run = run_create(
        authority=authority, kind=RunKind.SIMULATION, year=2023, half=None, issued_on=D(2023, 1, 1)
    )
    invoice = Invoice.objects.get(run=run)
    assert (invoice.status, invoice.number, invoice.published_at) == (
        InvoiceStatus.SIMULATED,
        "",
        None,
    )
    assert invoice.total_cents == 10800
    assert not OutboxMessage.objects.exists()


def test_a_half_year_bills_half_the_fixed_part_and_the_included_lifts(world, real_run):
    authority, *_ = world
    run = real_run(authority, half=2)
    invoice = Invoice.objects.get(run=run)
    assert run.label == "2e semestre 2023"
    assert (invoice.period_start, invoice.period_end) == (D(2023, 7, 1), D(2023, 12, 31))
    # 184 of 365 days: floor(7300·365/365) − floor(7300·181/365) = 7300 − 3620
    lines = list(invoice.lines.order_by("position"))
    assert lines[0].amount_cents == 3680
    assert "du 01/07/2023 au 31/12/2023" in lines[0].label


def test_subscriptions_starting_or_ending_in_the_period_are_prorated_to_their_days(world, real_run):
    authority, account, subscription, om, tariff = world
    subscription.ended_on = D(2023, 3, 31)
    subscription.save(update_fields=["ended_on"])
    newcomer = make_account(authority, code="00002", portal_key="ABCDEFGH", last_name="MARTIN")
    new_sub = newcomer.subscriptions.get()
    new_sub.subscribed_on = D(2023, 4, 1)
    new_sub.save(update_fields=["subscribed_on"])
    make_household_bin(new_sub, chip="E0040003")
    run = real_run(authority)
    first, second = Invoice.objects.filter(run=run).order_by("subscription_id")
    assert (first.period_start, first.period_end) == (D(2023, 1, 1), D(2023, 3, 31))
    assert (second.period_start, second.period_end) == (D(2023, 4, 1), D(2023, 12, 31))
    # The two parts of the year add up to the yearly fixed part exactly.
    fixed = [i.lines.get(kind=LineKind.FIXED).amount_cents for i in (first, second)]
    assert sum(fixed) == 7300 and fixed[0] == 7300 * 90 // 365
    # Lifts of January to March only: 7 of them, 2 included (floor(12·90/365)).
    assert first.lines.get(kind=LineKind.EXTRA).quantity == 7 - 2


def test_subscriptions_without_a_plan_are_listed_not_billed(world, real_run):
    authority, account, *_ = world
    make_subscription(account, reference="R-770", subscribed_on=D(2023, 1, 1))
    run = real_run(authority)
    run.refresh_from_db()
    assert run.status == RunStatus.DONE
    assert Invoice.objects.filter(run=run).count() == 1
    assert "1 facture calculée." in run.message
    assert "1 abonnement non facturé faute de forfait" in run.message and "R-770" in run.message


def test_vat_is_added_to_the_lines_total(world, real_run):
    authority, *_ = world
    make_tariff(authority, version=2, vat_rate_bp=1000)
    invoice = Invoice.objects.get(run=real_run(authority))
    assert invoice.total_ht_cents == 10800
    assert invoice.vat_cents == 1080 and invoice.total_cents == 11880


def test_the_account_s_logins_get_the_email_when_it_has_no_address(world, real_run):
    authority, account, *_ = world
    account.email = ""
    account.save(update_fields=["email"])
    make_user("pierre@example.org", accounts=[account])
    make_user("marie@example.org", accounts=[account])
    real_run(authority)
    assert sorted(OutboxMessage.objects.values_list("to", flat=True)) == [
        "marie@example.org",
        "pierre@example.org",
    ]


def test_an_account_with_no_address_at_all_gets_no_email_but_its_invoice(world, real_run):
    authority, account, *_ = world
    account.email = ""
    account.save(update_fields=["email"])
    run = real_run(authority)
    assert Invoice.objects.get(run=run).published_at is not None
    assert not OutboxMessage.objects.exists()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"year": 2022}, "Aucune grille tarifaire n'est en vigueur pour 2022."),
        ({"issued_on": D(2022, 12, 31)}, "ne peut pas précéder le début de la période"),
        ({"due_on": D(2023, 7, 1)}, "La date d'échéance ne peut pas précéder"),
        ({"half": 3}, "Le semestre doit être 1 ou 2."),
    ],
)
def test_a_run_that_cannot_be_billed_is_refused_with_a_french_message(
    world, fields, message, real_run
):
    authority, *_ = world
    with pytest.raises(BillingError, match=message):
        real_run(authority, **fields)
    assert not BillingRun.objects.exists()


def test_a_real_run_overlapping_a_billed_period_is_refused_but_a_simulation_is_not(
    world, real_run, run_create
):
    authority, *_ = world
    real_run(authority, half=1)
    with pytest.raises(BillingError, match="« 1er semestre 2023 » couvre déjà cette période"):
        real_run(authority)
    real_run(authority, half=2)
    simulation = run_create(
        authority=authority, kind=RunKind.SIMULATION, year=2023, half=None, issued_on=D(2023, 7, 2)
    )
    assert BillingRun.objects.get(pk=simulation.pk).status == RunStatus.DONE


def test_a_finished_run_executed_again_changes_nothing(world, real_run):
    authority, *_ = world
    run = real_run(authority)
    again = billing_run_execute(run_id=run.pk)
    assert again.status == RunStatus.DONE
    assert Invoice.objects.count() == 1 and OutboxMessage.objects.count() == 1


def test_the_emails_written_at_once_read_exactly_as_one_rendered_alone(world):
    from levee.lib.templatetags.levee_format import euros
    from levee.mailing.services import mail_enqueue, mail_enqueue_many

    authority, *_ = world
    authority.name = "Communauté <Flandre> & Lys"
    context = {
        "issued_on": D(2023, 7, 2),
        "due_on": D(2023, 8, 1),
        "invoices_url": "/flandre-interieure/espace/mes-factures/",
    }
    values = {"number": "2300240069928", "amount": euros(8794)}
    alone = mail_enqueue(
        to="a@example.org",
        template="invoice_available",
        context={**context, **values},
        authority=authority,
    )
    (pk,) = mail_enqueue_many(
        template="invoice_available",
        context=context,
        messages=[("a@example.org", values)],
        authority=authority,
    )
    together = OutboxMessage.objects.get(pk=pk)
    assert (together.subject, together.body_text, together.body_html) == (
        alone.subject,
        alone.body_text,
        alone.body_html,
    )
    assert "87,94\u00a0€" in together.body_html and "&lt;Flandre&gt;" in together.body_html
