"""Issue 12, item 9: a monthly debit payer's invoice reads her échéancier, not its due date,
in « Mes factures », and her « Votre facture est disponible » email does not ask her to
pay it."""

import datetime

import pytest
from django.utils import timezone

from levee.billing.models import Invoice, RunKind
from levee.billing.services import billing_run_create
from levee.mailing.models import OutboxMessage
from levee.payments.mandates import mandate_create
from levee.payments.models import DebitSchedule, PaymentSettings, ScheduledDebit
from levee.subscribers.models import Account
from testkit import ccfi_world, make_user

from .billing_builders import every_other_week, make_household_bin, make_lifts, make_tariff

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def world(db):
    authority, account = ccfi_world()
    account.email = "marie.martin@example.org"
    account.save(update_fields=["email"])
    om = make_household_bin(
        account.subscriptions.get(), chip="E0040001", delivered_on=D(2022, 6, 30)
    )
    make_lifts(om, every_other_week(2023, 26))
    make_tariff(authority)
    return authority, account


def bill(authority, capture, *, schedule: str | None):
    if schedule:
        PaymentSettings.objects.update_or_create(
            authority=authority, defaults={"creditor_identifier": "FR12ZZZ123456"}
        )
        mandate_create(
            account=Account.objects.get(authority=authority),
            schedule=schedule,
            holder_name="Marie MARTIN",
            iban="FR7630006000011234567890189",
            bic="AGRIFRPPXXX",
            signed_on=timezone.localdate(),
            today=timezone.localdate(),
        )
    with capture(execute=True):
        billing_run_create(
            authority=authority, kind=RunKind.REAL, year=2023, half=1, issued_on=D(2023, 7, 2)
        )
    return Invoice.objects.get()


def test_a_monthly_debit_payer_reads_her_echeancier_in_the_row_and_the_email(
    client, world, django_capture_on_commit_callbacks
):
    authority, account = world
    invoice = bill(authority, django_capture_on_commit_callbacks, schedule=DebitSchedule.MONTHLY)
    debits = list(ScheduledDebit.objects.filter(invoice=invoice).order_by("due_on"))
    assert len(debits) > 1 and invoice.direct_debit
    first, last = debits[0].due_on, debits[-1].due_on
    client.force_login(make_user("marie.martin@example.org", accounts=[account]))
    page = " ".join(client.get("/flandre-interieure/espace/mes-factures/").content.decode().split())
    assert f"{len(debits)} prélèvements, du {first:%d/%m/%Y} au {last:%d/%m/%Y}" in page
    assert f"Prélèvement le {invoice.due_on:%d/%m/%Y}" not in page
    message = OutboxMessage.objects.get(template="invoice_available")
    text = " ".join(message.body_text.split())
    assert (
        f"Elle sera prélevée en {len(debits)} fois, du {first:%d/%m/%Y} au {last:%d/%m/%Y}, sur "
        "votre compte bancaire, selon votre échéancier. Vous n'avez rien à régler." in text
    )
    assert "réglez-la" not in text and "Date d'échéance" not in text
    html = " ".join(message.body_html.split())
    assert "Vous n'avez rien à régler." in html and "Date d'échéance" not in html


def test_a_per_invoice_debit_payer_reads_its_one_date(
    client, world, django_capture_on_commit_callbacks
):
    authority, account = world
    invoice = bill(
        authority, django_capture_on_commit_callbacks, schedule=DebitSchedule.PER_INVOICE
    )
    (debit,) = ScheduledDebit.objects.filter(invoice=invoice)
    message = OutboxMessage.objects.get(template="invoice_available")
    assert f"Elle sera prélevée le {debit.due_on:%d/%m/%Y} sur votre compte bancaire." in (
        message.body_text
    )


def test_a_payer_without_a_mandate_is_asked_to_pay_by_the_due_date(
    world, django_capture_on_commit_callbacks
):
    authority, account = world
    invoice = bill(authority, django_capture_on_commit_callbacks, schedule=None)
    text = OutboxMessage.objects.get(template="invoice_available").body_text
    assert f"Date d'échéance : {invoice.due_on:%d/%m/%Y}" in text
    assert "Consultez-la et réglez-la dans « Mes factures »" in text
    assert "prélevée" not in text


def test_in_pes_mode_the_email_says_the_invoice_is_payable_once_its_title_is_taken_in(
    world, django_capture_on_commit_callbacks
):
    from levee.treasury.tests.builders import pes_settings

    authority, account = world
    pes_settings(authority)
    bill(authority, django_capture_on_commit_callbacks, schedule=None)
    message = OutboxMessage.objects.get(template="invoice_available")
    sentence = (
        "Vous pourrez la régler en ligne dès que le comptable public aura pris en charge son titre."
    )
    assert sentence in " ".join(message.body_text.split())
    assert "réglez-la" not in message.body_text
    assert sentence in " ".join(message.body_html.split())
