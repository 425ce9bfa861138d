"""« Rappel avant échéance » and « Relance après échéance »: the periodic job emails each
once per invoice, the days the billing settings say (0 turns one off), never for an invoice
paid, cancelled, being debited or with an online payment in progress; the demo's history
is recorded without an email."""

import datetime

import pytest
from django.utils import timezone

from levee.billing.models import BillingSettings, InvoiceReminder, InvoiceStatus, ReminderKind
from levee.billing.services_dunning import (
    CATCH_UP_DAYS,
    invoice_reminders_record_past,
    invoice_reminders_send,
)
from levee.lib.periodic import periodic_jobs
from levee.mailing.models import OutboxMessage
from levee.payments.models import (
    DebitSchedule,
    DebitStatus,
    Mandate,
    MandateStatus,
    Payment,
    PaymentStatus,
    ScheduledDebit,
)
from levee.privacy.selectors import personal_data_of
from testkit import ccfi_world, make_user

from .factories import make_invoice

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2024, 8, 20)


def days(n: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=n)


@pytest.fixture
def dupont(db, settings):
    settings.SITE_URL = "https://dechets.example.org"
    authority, account = ccfi_world()
    account.email = "dupont59@gmail.com"
    account.save(update_fields=["email"])
    return account


def invoice_due(account, due_on, number="2400240000001", **fields):
    return make_invoice(
        account,
        number=number,
        issued_on=due_on - datetime.timedelta(days=30),
        due_on=due_on,
        total_cents=8794,
        **fields,
    )


def reminders():
    return list(OutboxMessage.objects.filter(template="invoice_reminder").order_by("pk"))


def test_the_reminder_goes_five_days_before_the_due_date_with_amount_and_link(dupont):
    invoice_due(dupont, days(5))
    assert invoice_reminders_send(today=days(-1)) == 0  # six days ahead: not yet
    assert invoice_reminders_send(today=TODAY) == 1
    [message] = reminders()
    assert message.to == "dupont59@gmail.com"
    assert message.authority_id == dupont.authority_id
    assert message.subject.startswith(
        "Rappel : votre facture n° 2400240000001 est à régler au plus tard le 25 août 2024"
    )
    body = " ".join(message.body_text.split())
    assert "arrive à échéance le 25 août 2024" in body
    assert "Montant à régler : 87,94 €" in body
    assert "Réglez-la en ligne par carte bancaire dans « Mes factures », bouton « Régler »" in body
    assert "https://dechets.example.org/flandre-interieure/espace/mes-factures/" in body
    assert "Voir mes factures" in message.body_html
    reminder = InvoiceReminder.objects.get()
    assert (reminder.kind, reminder.emailed) == (ReminderKind.BEFORE, True)


def test_the_follow_up_goes_ten_days_after_the_due_date(dupont):
    invoice_due(dupont, days(-10))
    assert invoice_reminders_send(today=days(-1)) == 0  # nine days after: not yet
    assert invoice_reminders_send(today=TODAY) == 1
    [message] = reminders()
    assert message.subject.startswith("Relance : votre facture n° 2400240000001 n'est pas réglée")
    body = " ".join(message.body_text.split())
    assert "devait être réglée au plus tard le 10 août 2024" in body
    assert "Montant à régler : 87,94 €" in body
    assert "/flandre-interieure/espace/mes-factures/" in body
    assert InvoiceReminder.objects.get().kind == ReminderKind.AFTER


def test_each_reminder_goes_once_however_many_runs(dupont):
    invoice = invoice_due(dupont, days(3))
    assert invoice_reminders_send(today=TODAY) == 1
    assert invoice_reminders_send(today=TODAY) == 0
    assert invoice_reminders_send(today=days(1)) == 0
    assert invoice_reminders_send(today=days(13)) == 1  # the follow-up, once
    assert invoice_reminders_send(today=days(14)) == 0
    assert len(reminders()) == 2
    assert set(invoice.reminders.values_list("kind", flat=True)) == {"avant", "apres"}


def test_every_recipient_of_the_account_is_reminded_when_it_has_no_email(dupont):
    dupont.email = ""
    dupont.save(update_fields=["email"])
    for email in ("marie@example.org", "pierre@example.org"):
        make_user(email, accounts=[dupont])
    invoice_due(dupont, days(2))
    assert invoice_reminders_send(today=TODAY) == 1
    assert sorted(m.to for m in reminders()) == ["marie@example.org", "pierre@example.org"]


@pytest.mark.parametrize(
    "status", [InvoiceStatus.PAID, InvoiceStatus.CANCELLED, InvoiceStatus.SIMULATED]
)
def test_nothing_for_an_invoice_paid_cancelled_or_simulated(dupont, status):
    invoice_due(dupont, days(2), status=status)
    invoice_due(dupont, days(-10), number="2400240000002", status=status)
    assert invoice_reminders_send(today=TODAY) == 0
    assert reminders() == []


def _mandate(account, status=MandateStatus.ACTIVE):
    return Mandate.objects.create(
        authority=account.authority,
        account=account,
        rum="RUM-00240-00001-1",
        creditor_identifier="FR12ZZZ123456",
        schedule=DebitSchedule.PER_INVOICE,
        holder_name="Pierre DUPONT",
        iban="FR7630006000011234567890189",
        bic="AGRIFRPPXXX",
        signed_on=datetime.date(2023, 6, 1),
        status=status,
    )


def test_nothing_for_an_invoice_being_debited(dupont):
    marked = invoice_due(dupont, days(2), direct_debit=True)
    planned = invoice_due(dupont, days(3), number="2400240000002")
    sent = invoice_due(dupont, days(-10), number="2400240000003")
    mandate = _mandate(dupont)
    for invoice, status in ((planned, DebitStatus.PLANNED), (sent, DebitStatus.SENT)):
        ScheduledDebit.objects.create(
            authority=dupont.authority,
            mandate=mandate,
            invoice=invoice,
            due_on=invoice.due_on,
            amount_cents=8794,
            status=status,
        )
    assert invoice_reminders_send(today=TODAY) == 0
    assert reminders() == []
    assert not InvoiceReminder.objects.filter(invoice=marked).exists()
    # Its debit cancelled, the invoice is to pay again: the follow-up goes.
    ScheduledDebit.objects.filter(invoice=sent).update(status=DebitStatus.CANCELLED)
    assert invoice_reminders_send(today=TODAY) == 1
    assert "2400240000003" in reminders()[0].subject


def test_nothing_while_an_online_payment_is_in_progress(dupont):
    invoice = invoice_due(dupont, days(2))
    Payment.objects.create(
        authority=dupont.authority,
        invoice=invoice,
        account=dupont,
        gateway="sandbox",
        status=PaymentStatus.WAITING,
        amount_cents=8794,
    )
    assert invoice_reminders_send(today=TODAY) == 0
    Payment.objects.update(status=PaymentStatus.ABANDONED)
    assert invoice_reminders_send(today=TODAY) == 1


def test_0_turns_each_reminder_off_and_other_days_are_followed(dupont):
    BillingSettings.objects.create(
        authority=dupont.authority, reminder_before_days=0, reminder_after_days=3
    )
    invoice_due(dupont, days(2))
    invoice_due(dupont, days(-3), number="2400240000002")
    assert invoice_reminders_send(today=TODAY) == 1
    [message] = reminders()
    assert message.subject.startswith("Relance : votre facture n° 2400240000002")
    BillingSettings.objects.update(reminder_after_days=0)
    assert invoice_reminders_send(today=days(10)) == 0


def test_an_old_debt_is_not_reminded_when_its_day_is_long_past(dupont):
    invoice_due(dupont, days(-10 - CATCH_UP_DAYS - 1))
    invoice_due(dupont, days(-10 - CATCH_UP_DAYS), number="2400240000002")
    assert invoice_reminders_send(today=TODAY) == 1
    assert "2400240000002" in reminders()[0].subject


def test_an_unpublished_invoice_is_not_reminded(dupont):
    invoice_due(dupont, days(2), published=False)
    assert invoice_reminders_send(today=TODAY) == 0


def test_past_due_invoices_are_recorded_without_an_email(dupont):
    old = invoice_due(dupont, days(-200))
    recent = invoice_due(dupont, days(-12), number="2400240000002")
    coming = invoice_due(dupont, days(4), number="2400240000003")
    invoice_due(dupont, days(-30), number="2400240000004", status=InvoiceStatus.PAID)
    assert invoice_reminders_record_past(today=TODAY) == 4
    assert invoice_reminders_record_past(today=TODAY) == 0
    assert set(InvoiceReminder.objects.values_list("invoice_id", "kind", "emailed")) == {
        (old.pk, "avant", False),
        (old.pk, "apres", False),
        (recent.pk, "avant", False),
        (recent.pk, "apres", False),
    }
    # The first run sends only what falls due from then on.
    assert invoice_reminders_send(today=TODAY) == 1
    [message] = reminders()
    assert "2400240000003" in message.subject
    assert not InvoiceReminder.objects.filter(invoice=coming, emailed=False).exists()


def test_the_data_export_lists_the_reminders_sent(dupont):
    resident = make_user("dupont59@gmail.com", accounts=[dupont])
    invoice_due(dupont, days(-200))
    invoice_reminders_record_past(today=TODAY)
    invoice_due(dupont, days(2), number="2400240000002")
    invoice_reminders_send(today=TODAY)
    [account] = personal_data_of(resident)["comptes"]
    [line] = account["rappels de factures"]
    assert line["facture"] == "2400240000002"
    assert line["type"] == "Rappel avant échéance"


def test_the_periodic_job_is_registered():
    names = [job.name for job in periodic_jobs()]
    assert "invoice reminders" in names


def test_the_job_reads_today_when_not_told(dupont):
    invoice_due(dupont, timezone.localdate() + datetime.timedelta(days=1))
    assert invoice_reminders_send() == 1


def test_the_first_of_a_month_reads_1er(dupont):
    make_invoice(
        dupont,
        number="2400240000001",
        issued_on=datetime.date(2024, 8, 1),
        due_on=days(3),
        total_cents=8794,
    )
    invoice_reminders_send(today=TODAY)
    assert "Votre facture n° 2400240000001 du 1er août 2024 arrive à échéance le 23 août 2024" in (
        " ".join(reminders()[0].body_text.split())
    )
