"""Avoirs: numbered without gaps apart from the invoices, never more than the invoice still
amounts to, counted in its rest to pay, its free debits reduced (the last ones first), what
was paid beyond listed to refund, the holder told by email, the audit log kept; and the
avoir's PDF."""

import datetime
import re
import threading
from html import unescape

import pytest
from django.db import connections
from django.template.loader import render_to_string
from django.utils import timezone

from levee.audit.models import AuditEntry
from levee.audit.sentences import entry_text
from levee.billing.models import (
    CreditNote,
    CreditNoteKind,
    CreditNoteReason,
    CreditNoteSequence,
    Invoice,
    InvoiceStatus,
)
from levee.billing.pdf_credit import credit_note_pdf_context, credit_note_pdf_render
from levee.billing.selectors_credit_notes import (
    credit_notes_to_carry,
    credit_notes_to_refund,
    invoice_net_cents,
)
from levee.billing.services_credit_notes import (
    CreditNoteRefused,
    credit_note_issue,
    credit_note_refund_review,
    split_ttc,
)
from levee.mailing.models import OutboxMessage
from levee.payments.models import DebitStatus, PaymentMethod, ScheduledDebit
from levee.payments.recorded import payment_record
from levee.payments.selectors import (
    Settlement,
    invoice_left_cents,
    invoices_annotate_settlement,
    settlement_state,
)
from levee.payments.tests.conftest import World
from levee.payments.tests.debit_world import RegieWorld
from testkit import make_user

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
YY = f"{TODAY.year % 100:02d}"


@pytest.fixture
def world(db):
    world = World()
    world.agent = make_user("facturation@flandre.example.org")
    return world


def issue(world, *, kind=CreditNoteKind.REDUCTION, amount=1000, reason=None, **kw):
    return credit_note_issue(
        invoice=kw.pop("invoice", world.invoice),
        kind=kind,
        amount_cents=amount if kind == CreditNoteKind.REDUCTION else None,
        reason=reason or CreditNoteReason.TARIFF_ERROR,
        by=world.agent,
        **kw,
    )


def fresh(invoice) -> Invoice:
    return Invoice.objects.get(pk=invoice.pk)


def test_two_avoirs_take_consecutive_numbers_of_their_own(world):
    first = issue(world, amount=1000)
    second = issue(world, amount=500)
    code = world.authority.code
    assert first.number == f"AV{YY}{code:0>5}000001"
    assert second.number == f"AV{YY}{code:0>5}000002"
    assert len(first.number) == 15 and first.number != world.invoice.number
    assert (
        CreditNoteSequence.objects.get(authority=world.authority, year=TODAY.year).next_value == 3
    )
    assert invoice_net_cents(fresh(world.invoice)) == 8794 - 1500
    assert invoice_left_cents(fresh(world.invoice)) == 7294


def test_a_refused_avoir_takes_no_number_and_writes_nothing(world):
    with pytest.raises(CreditNoteRefused) as refused:
        issue(world, amount=8795)
    assert refused.value.field == "amount"
    assert refused.value.message == (
        "Le montant de l'avoir ne peut pas dépasser ce que la facture représente encore : "
        "87,94\u00a0€."
    )
    for bad in (0, -5, None):
        with pytest.raises(CreditNoteRefused) as refused:
            issue(world, amount=bad)
        assert refused.value.message == "Le montant de l'avoir doit être supérieur à 0,00 €."
    with pytest.raises(CreditNoteRefused) as refused:
        issue(world, reason=CreditNoteReason.OTHER, text="  ")
    assert refused.value.field == "text"
    with pytest.raises(CreditNoteRefused):
        issue(world, kind="n_importe_quoi")
    with pytest.raises(CreditNoteRefused):
        issue(world, reason="n_importe_quoi")
    assert not CreditNote.objects.exists()
    assert not OutboxMessage.objects.filter(subject__contains="Avoir").exists()
    assert issue(world, amount=100).number.endswith("000001")


def test_a_reduction_never_exceeds_what_the_invoice_still_amounts_to(world):
    issue(world, amount=8000)
    with pytest.raises(CreditNoteRefused) as refused:
        issue(world, amount=795)
    assert "après les avoirs déjà émis (80,00\u00a0€) : 7,94\u00a0€" in refused.value.message
    last = issue(world, amount=794)
    assert last.total_cents == 794
    assert settlement_state(fresh(world.invoice), today=TODAY).state == Settlement.CREDITED
    with pytest.raises(CreditNoteRefused) as refused:
        issue(world, kind=CreditNoteKind.TOTAL)
    assert "déjà entièrement annulée par avoir" in refused.value.message


def test_an_annulation_takes_what_is_left_and_another_is_refused(world):
    issue(world, amount=1000)
    total = issue(world, kind=CreditNoteKind.TOTAL)
    assert total.total_cents == 7794 and total.kind == CreditNoteKind.TOTAL
    invoice = fresh(world.invoice)
    assert invoice.status == InvoiceStatus.OPEN  # still shown, with its avoirs
    assert invoice_left_cents(invoice) == 0
    annotated = invoices_annotate_settlement(Invoice.objects.filter(pk=invoice.pk)).get()
    assert annotated.credited_cents == 8794
    assert settlement_state(annotated, today=TODAY).state == Settlement.CREDITED
    with pytest.raises(CreditNoteRefused):
        issue(world, kind=CreditNoteKind.TOTAL)
    with pytest.raises(CreditNoteRefused):
        issue(world, amount=1)


def test_the_amount_is_split_ht_and_vat_as_the_invoice(world):
    invoice = world.invoice
    Invoice.objects.filter(pk=invoice.pk).update(
        total_ht_cents=8000, vat_rate_bp=1000, vat_cents=800, total_cents=8800
    )
    note = issue(world, amount=1100)
    assert (note.total_ht_cents, note.vat_cents, note.total_cents) == (1000, 100, 1100)
    assert split_ttc(1234, 550) == (1170, 64)
    by_ht = credit_note_issue(
        invoice=invoice,
        kind=CreditNoteKind.REDUCTION,
        amount_ht_cents=250,
        reason=CreditNoteReason.LIFT_CONTEST,
        by=world.agent,
    )
    assert (by_ht.total_ht_cents, by_ht.vat_cents, by_ht.total_cents) == (250, 25, 275)
    rest = issue(world, kind=CreditNoteKind.TOTAL)
    # The avoirs add up to the invoice exactly, HT and VAT.
    assert rest.total_ht_cents == 8000 - 1000 - 250 and rest.vat_cents == 800 - 100 - 25


def test_the_avoir_is_audited_and_the_holder_told(world):
    note = issue(world, amount=1234, text="Volume du bac erroné")
    entry = AuditEntry.objects.get(action="credit_note.issue")
    assert entry.actor == world.agent and entry.object_id == str(note.pk)
    text = entry_text(entry)
    assert f"avoir {note.number} émis sur la facture 2300240069928" in text
    assert "réduction de 12,34" in text and "« Erreur de tarif »" in text
    mail = OutboxMessage.objects.get(subject__startswith="Avoir")
    assert mail.to == "dupont59@gmail.com"
    assert f"Avoir n° {note.number} sur votre facture n° 2300240069928" in mail.subject
    assert "est réduite de 12,34" in mail.body_text
    assert "Reste à payer sur cette facture : 75,60" in mail.body_text


def test_the_avoir_is_in_its_account_s_journal_and_no_other(world):
    from levee.audit.selectors import audit_entries_of_account
    from testkit import make_account

    note = issue(world, amount=500)
    entries = audit_entries_of_account(world.invoice.account)
    assert [(e.action, e.object_id) for e in entries] == [("credit_note.issue", str(note.pk))]
    other = make_account(world.invoice.authority, code="00099", portal_key="PSEMCSMX")
    assert audit_entries_of_account(other) == []


def test_a_paid_invoice_cancelled_lists_its_refund(world):
    payment_record(
        invoice=world.invoice,
        method=PaymentMethod.CHEQUE,
        paid_on=TODAY,
        reference="123",
        amount_cents=8794,
        by=world.agent,
    )
    note = issue(world, kind=CreditNoteKind.TOTAL)
    assert note.refund_cents == 8794
    assert list(credit_notes_to_refund(world.authority)) == [note]
    assert fresh(world.invoice).status == InvoiceStatus.PAID
    mail = OutboxMessage.objects.filter(subject__startswith="Avoir").get()
    assert "87,94\u00a0€ vous seront remboursés" in mail.body_text
    assert credit_note_refund_review(note=note, agent_user=world.agent)
    assert not credit_note_refund_review(note=note, agent_user=world.agent)
    assert not credit_notes_to_refund(world.authority).exists()
    assert "remboursement de l'avoir" in entry_text(
        AuditEntry.objects.get(action="credit_note.refund_review")
    )


def test_a_part_paid_then_reduced_below_it_is_settled_with_the_excess_to_refund(world):
    payment_record(
        invoice=world.invoice,
        method=PaymentMethod.TRANSFER,
        paid_on=TODAY,
        reference="VIR-1",
        amount_cents=5000,
        by=world.agent,
    )
    note = issue(world, amount=4000)
    assert note.refund_cents == 206  # 50,00 paid for 47,94 left
    assert note.invoice_settled and fresh(world.invoice).status == InvoiceStatus.PAID
    # A second avoir refunds all of itself: the invoice was paid beyond already.
    second = issue(world, amount=100)
    assert second.refund_cents == 100


def test_a_reduced_invoice_is_paid_by_what_is_left(world):
    issue(world, amount=794)
    state = settlement_state(fresh(world.invoice), today=TODAY)
    assert state.left_cents == 8000 and state.credited_cents == 794
    payment = payment_record(
        invoice=world.invoice,
        method=PaymentMethod.CHEQUE,
        paid_on=TODAY,
        reference="555",
        amount_cents=8000,
        by=world.agent,
    )
    assert payment.invoice_settled and payment.excess_cents == 0


@pytest.fixture
def regie(db):
    world = RegieWorld()
    world.agent = make_user("facturation@pilat.example.org")
    return world


def debits_of(invoice):
    return list(
        ScheduledDebit.objects.filter(invoice=invoice)
        .order_by("due_on")
        .values_list("amount_cents", "status")
    )


def test_a_reduction_cuts_the_last_free_debits_first(regie):
    invoice = regie.dupont_invoice
    note = credit_note_issue(
        invoice=invoice,
        kind=CreditNoteKind.REDUCTION,
        amount_cents=4000,
        reason=CreditNoteReason.LATE_MOVE,
        by=regie.agent,
    )
    assert debits_of(invoice) == [
        (3000, DebitStatus.PLANNED),
        (2000, DebitStatus.PLANNED),
        (3000, DebitStatus.CANCELLED),
    ]
    assert note.refund_cents == 0
    state = settlement_state(fresh(invoice), today=TODAY)
    assert state.state == Settlement.DEBITED and state.debits_count == 2
    assert state.debits_last == datetime.date(2027, 2, 10)


def test_an_annulation_leaves_a_debit_already_sent_and_refunds_it(regie):
    invoice = regie.dupont_invoice
    first = regie.dupont_debits[0]
    ScheduledDebit.objects.filter(pk=first.pk).update(status=DebitStatus.SENT)
    note = credit_note_issue(
        invoice=invoice,
        kind=CreditNoteKind.TOTAL,
        reason=CreditNoteReason.LATE_MOVE,
        by=regie.agent,
    )
    assert debits_of(invoice) == [
        (3000, DebitStatus.SENT),
        (3000, DebitStatus.CANCELLED),
        (3000, DebitStatus.CANCELLED),
    ]
    assert note.refund_cents == 3000
    assert list(credit_notes_to_refund(regie.authority)) == [note]
    mail = OutboxMessage.objects.get(subject__startswith="Avoir")
    assert "est annulée par l'avoir" in mail.body_text


def test_the_treasury_lists_the_avoirs_no_pes_file_carries_yet(world, regie):
    mine = issue(world, amount=100)
    credit_note_issue(
        invoice=regie.dupont_invoice,
        kind=CreditNoteKind.REDUCTION,
        amount_cents=100,
        reason=CreditNoteReason.OTHER,
        text="Geste commercial",
        by=regie.agent,
    )
    assert list(credit_notes_to_carry(world.authority)) == [mine]


def test_the_pdf_says_avoir_its_invoice_reason_and_amounts(world):
    Invoice.objects.filter(pk=world.invoice.pk).update(
        total_ht_cents=8000, vat_rate_bp=1000, vat_cents=800, total_cents=8800
    )
    note = issue(world, amount=1100, text="Tarif 2022 appliqué par erreur")
    context = credit_note_pdf_context(CreditNote.objects.get(pk=note.pk))
    assert context["reason"] == "Erreur de tarif" and context["vat_rate"] == "10\u00a0%"
    assert credit_note_pdf_render(note).startswith(b"%PDF")
    html = render_to_string("billing/credit_note_pdf.html", context)
    text = re.sub(r"[ \t\n]+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))
    assert f"AVOIR n° {note.number}" in text
    assert "Facture corrigée 2300240069928" in text
    assert "Réduction de la facture n° 2300240069928" in text
    assert "Motif : Erreur de tarif." in text and "Tarif 2022 appliqué par erreur" in text
    assert "Montant de l'avoir HT -10,00\u00a0€" in text
    assert "TVA (10\u00a0%) -1,00\u00a0€" in text
    assert "Montant de l'avoir TTC -11,00\u00a0€" in text


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_two_agents_crediting_at_once_never_exceed_the_invoice(world):
    barrier = threading.Barrier(2)
    outcomes = []

    def run():
        try:
            barrier.wait()
            outcomes.append(issue(world, amount=5000).number)
        except CreditNoteRefused as refused:
            outcomes.append(refused.message)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    numbers = [o for o in outcomes if o.startswith("AV")]
    assert len(numbers) == 1 and CreditNote.objects.count() == 1
    assert [o for o in outcomes if not o.startswith("AV")] == [
        "Le montant de l'avoir ne peut pas dépasser ce que la facture représente encore "
        "après les avoirs déjà émis (50,00\u00a0€) : 37,94\u00a0€."
    ]
    assert numbers[0].endswith("000001")


def test_restes_a_recouvrer_count_the_avoirs(world):
    from levee.billing.selectors_dunning import invoices_still_due

    issue(world, amount=1234)
    assert invoices_still_due(world.authority.pk).get().left_cents == 8794 - 1234
    issue(world, kind=CreditNoteKind.TOTAL)
    assert not invoices_still_due(world.authority.pk).exists()


def test_no_reminder_for_an_invoice_its_avoirs_cancelled(world):
    from levee.billing.services_dunning import _send

    issue(world, kind=CreditNoteKind.TOTAL)
    invoice = Invoice.objects.select_related("authority").get(pk=world.invoice.pk)
    assert not _send(invoice, "apres", ["dupont59@gmail.com"], TODAY)
    assert not OutboxMessage.objects.filter(template="invoice_reminder").exists()


def test_a_mandate_accepted_after_an_avoir_debits_what_is_left(world):
    from levee.payments.mandates import invoices_debit_plan
    from levee.payments.models import DebitSchedule, Mandate

    Mandate.objects.create(
        authority=world.authority,
        account=world.account,
        rum="RUM-00240-00001-1",
        creditor_identifier="FR28ZZZ571903",
        schedule=DebitSchedule.PER_INVOICE,
        holder_name="DUPONT PIERRE",
        iban="FR7630006000011234567890189",
        bic="AGRIFRPPXXX",
        signed_on=TODAY,
    )
    issue(world, amount=1234)
    assert invoices_debit_plan(invoices=[fresh(world.invoice)], today=TODAY) == 1
    assert debits_of(world.invoice) == [(8794 - 1234, DebitStatus.PLANNED)]


def test_a_mandate_does_not_debit_an_invoice_its_avoirs_cancelled(world):
    from levee.payments.mandates import invoices_debit_plan
    from levee.payments.models import DebitSchedule, Mandate

    Mandate.objects.create(
        authority=world.authority,
        account=world.account,
        rum="RUM-00240-00001-1",
        creditor_identifier="FR28ZZZ571903",
        schedule=DebitSchedule.MONTHLY,
        holder_name="DUPONT PIERRE",
        iban="FR7630006000011234567890189",
        bic="AGRIFRPPXXX",
        signed_on=TODAY,
    )
    issue(world, kind=CreditNoteKind.TOTAL)
    assert invoices_debit_plan(invoices=[fresh(world.invoice)], today=TODAY) == 0
    assert debits_of(world.invoice) == []
