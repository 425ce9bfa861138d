"""The bank's rejects file (`DEBIT_FILES.md`): each line matched to a transmitted debit or
listed with its reason in French; a reject puts the invoice back to « à régler » and mails
the resident once; the second reject in a row suspends the mandate; the same file twice,
a line twice or a debit rejected already apply nothing again; a file that cannot be read
changes nothing."""

import datetime

import pytest

from levee.audit.models import AuditEntry
from levee.billing.models import Invoice, InvoiceStatus
from levee.mailing.models import OutboxMessage
from levee.payments.debit_files import (
    DebitFileError,
    debit_file_generate,
    debit_file_mark_transmitted,
    debit_rejects_import,
)
from levee.payments.models import (
    DebitRejectImport,
    DebitStatus,
    Mandate,
    MandateStatus,
    ScheduledDebit,
)
from levee.payments.selectors import Settlement, settlement_state
from testkit import make_user

from .debit_world import TODAY, RegieWorld

pytestmark = pytest.mark.django_db
HEADER = "reference;date;montant;motif\n"


@pytest.fixture
def sent(db):
    """January's debits of the régie transmitted to its bank."""
    world = RegieWorld()
    world.agent = make_user("agent.pilat@example.org")
    made = debit_file_generate(
        authority=world.authority, up_to=datetime.date(2027, 1, 31), by=world.agent, today=TODAY
    )
    debit_file_mark_transmitted(debit_file=made, by=world.agent)
    for debit in [world.martin_debit, *world.dupont_debits]:
        debit.refresh_from_db()
    return world


def rejects(world, text, filename="rejets.csv", encoding="utf-8"):
    return debit_rejects_import(
        authority=world.authority, content=text.encode(encoding), filename=filename, by=world.agent
    )


def mails():
    return list(OutboxMessage.objects.filter(template="debit_rejected").order_by("pk"))


def test_a_reject_by_end_to_end_id_puts_the_invoice_back_to_pay_and_tells_the_resident(sent):
    e2e = sent.martin_debit.end_to_end_id
    imported = rejects(sent, HEADER + f"{e2e};04/01/2027;123,45;AM04\n")
    assert (imported.lines, imported.applied) == (1, 1)
    [line] = imported.report
    assert line["outcome"] == "applied"
    assert "AM04 — provision insuffisante" in line["message"]
    sent.martin_debit.refresh_from_db()
    assert sent.martin_debit.status == DebitStatus.REJECTED
    assert (sent.martin_debit.reject_reason, sent.martin_debit.rejected_on) == (
        "AM04",
        datetime.date(2027, 1, 4),
    )
    invoice = Invoice.objects.get(pk=sent.martin_invoice.pk)
    assert invoice.status == InvoiceStatus.OPEN and not invoice.direct_debit
    state = settlement_state(invoice, today=TODAY)
    assert state.state == Settlement.PAYABLE
    [mail] = mails()
    assert mail.to == "martin42@example.org"
    body = " ".join(mail.body_text.split())
    assert "a rejeté le prélèvement de 123,45 € prévu le 4 janvier 2027" in body
    assert "Motif donné par votre banque : provision insuffisante." in body
    assert "Cette facture est à nouveau à régler" in body
    assert "suspendu" not in body
    assert Mandate.objects.get(pk=sent.martin_mandate.pk).status == MandateStatus.ACTIVE
    assert AuditEntry.objects.filter(action="debit_rejects.import").count() == 1


def test_a_reject_by_rum_date_and_amount_stops_the_invoice_s_next_debits(sent):
    imported = rejects(sent, HEADER + "RUM-00420-00001-1;2027-01-10;30.00;MS02\n")
    assert imported.applied == 1
    statuses = [ScheduledDebit.objects.get(pk=d.pk).status for d in sent.dupont_debits]
    assert statuses == [DebitStatus.REJECTED, DebitStatus.CANCELLED, DebitStatus.CANCELLED]
    assert "refus du débiteur" in " ".join(mails()[0].body_text.split())


def test_the_second_reject_in_a_row_suspends_the_mandate(sent):
    rejects(sent, HEADER + f"{sent.martin_debit.end_to_end_id};04/01/2027;123,45;AM04\n")
    # A new invoice debited in February, transmitted, rejected again.
    invoice = sent.invoice(sent.martin, "2600420000003", 5000)
    debit = sent.debit(sent.martin_mandate, invoice, datetime.date(2027, 2, 4), 5000)
    made = debit_file_generate(
        authority=sent.authority, up_to=datetime.date(2027, 2, 28), by=sent.agent, today=TODAY
    )
    assert made.count == 2  # Martin's and Dupont's February debits, not the rejected one
    debit_file_mark_transmitted(debit_file=made, by=sent.agent)
    debit.refresh_from_db()
    assert debit.sequence == "FRST"  # the first one never went through
    imported = rejects(sent, HEADER + f"{debit.end_to_end_id};04/02/2027;50,00;AC04\n")
    assert (
        "Deuxième rejet de suite : le mandat RUM-00420-00002-1 est suspendu."
        in (imported.report[0]["message"])
    )
    mandate = Mandate.objects.get(pk=sent.martin_mandate.pk)
    assert mandate.status == MandateStatus.SUSPENDED and mandate.suspended_on is not None
    assert "votre mandat de prélèvement RUM-00420-00002-1 est suspendu" in " ".join(
        mails()[-1].body_text.split()
    )
    assert len(mails()) == 2


def test_a_debit_taken_between_two_rejects_keeps_the_mandate_active(sent):
    dupont = sent.dupont_debits
    rejects(sent, HEADER + f"{dupont[0].end_to_end_id};10/01/2027;30,00;AM04\n")
    mandate = Mandate.objects.get(pk=sent.dupont_mandate.pk)
    assert mandate.status == MandateStatus.ACTIVE
    # Martin's mandate: his debit went through; a later one rejected is the first in a row.
    invoice = sent.invoice(sent.martin, "2600420000004", 5000)
    later = sent.debit(sent.martin_mandate, invoice, datetime.date(2027, 2, 4), 5000)
    made = debit_file_generate(
        authority=sent.authority, up_to=datetime.date(2027, 2, 28), by=sent.agent, today=TODAY
    )
    debit_file_mark_transmitted(debit_file=made, by=sent.agent)
    later.refresh_from_db()
    assert later.sequence == "RCUR"
    rejects(sent, HEADER + f"{later.end_to_end_id};04/02/2027;50,00;AM04\n")
    assert Mandate.objects.get(pk=sent.martin_mandate.pk).status == MandateStatus.ACTIVE


def test_unknown_references_bad_cells_and_duplicate_lines_are_listed_with_their_reason(sent):
    e2e = sent.martin_debit.end_to_end_id
    # February's file generated, not yet transmitted: its debits cannot be rejected yet.
    debit_file_generate(
        authority=sent.authority, up_to=datetime.date(2027, 2, 28), by=sent.agent, today=TODAY
    )
    sent.dupont_debits[1].refresh_from_db()
    imported = rejects(
        sent,
        HEADER
        + f"{e2e};04/01/2027;123,45;AM04\n"
        + f"{e2e};04/01/2027;123,45;AM04\n"
        + "RUM-INCONNU-1;04/01/2027;10,00;MD01\n"
        + "RUM-00420-00001-1;04/01/2027;10,00;MD01\n"
        + f"{e2e};le 4 janvier;123,45;AM04\n"
        + f"{e2e};04/01/2027;-5;AM04\n"
        + f"{e2e};04/01/2027;123,45;pas de provision\n"
        + ";04/01/2027;123,45;AM04\n"
        + f"{sent.dupont_debits[0].end_to_end_id};10/01/2027;31,00;AM04\n"
        + f"{sent.dupont_debits[1].end_to_end_id};10/02/2027;30,00;AM04\n",
    )
    assert (imported.lines, imported.applied) == (10, 1)
    messages = [line["message"] for line in imported.report]
    assert messages[1] == "Ligne en double : ce prélèvement figure déjà à la ligne 2."
    assert messages[2] == (
        "Aucun prélèvement ni mandat de la collectivité ne porte la référence « RUM-INCONNU-1 »."
    )
    assert messages[3] == (
        "Le mandat « RUM-00420-00001-1 » n'a aucun prélèvement transmis de 10,00\u00a0€ à échéance "
        "du 04/01/2027."
    )
    assert messages[4] == "La date « le 4 janvier » n'est pas une date JJ/MM/AAAA."
    assert messages[5] == "Le montant « -5 » n'est pas un montant positif en euros."
    assert messages[6].startswith("Le motif « pas de provision » n'est pas un code de rejet SEPA")
    assert messages[7] == "La référence (EndToEndId ou RUM) manque."
    assert messages[8].startswith("Le montant 31,00\u00a0€ ne correspond pas au prélèvement")
    assert messages[9] == (
        "Ce prélèvement n'a pas été transmis à la banque : il ne peut pas être rejeté."
    )
    assert [line["line"] for line in imported.report] == list(range(2, 12))
    assert len(mails()) == 1
    assert ScheduledDebit.objects.filter(status=DebitStatus.REJECTED).count() == 1


def test_the_same_file_twice_counts_once_and_a_debit_is_never_rejected_twice(sent):
    text = HEADER + f"{sent.martin_debit.end_to_end_id};04/01/2027;123,45;AM04\n"
    rejects(sent, text)
    with pytest.raises(DebitFileError, match="Ce fichier a déjà été importé le"):
        rejects(sent, text)
    # Another file citing the same reject (the bank's monthly summary): listed, not applied.
    again = rejects(sent, text + "\n", filename="releve.csv")
    assert again.applied == 0
    assert again.report[0]["message"].startswith("Ce prélèvement est déjà rejeté")
    assert DebitRejectImport.objects.count() == 2
    assert len(mails()) == 1


def test_a_file_in_another_encoding_or_without_its_header_changes_nothing(sent):
    latin = HEADER + f"{sent.martin_debit.end_to_end_id};04/01/2027;123,45;AM04;Réf. élevée\n"
    with pytest.raises(DebitFileError, match="n'est pas encodé en UTF-8"):
        rejects(sent, latin, encoding="latin-1")
    with pytest.raises(DebitFileError, match="il manque « montant », « motif »"):
        rejects(sent, "reference;date\nX;04/01/2027\n")
    with pytest.raises(DebitFileError, match="vide"):
        rejects(sent, "")
    with pytest.raises(DebitFileError, match="aucune ligne"):
        rejects(sent, HEADER)
    assert not DebitRejectImport.objects.exists()
    assert ScheduledDebit.objects.filter(status=DebitStatus.REJECTED).count() == 0
    assert mails() == []


def test_a_utf8_file_with_a_bom_from_a_spreadsheet_is_read(sent):
    text = "\ufeff" + HEADER + f"{sent.martin_debit.end_to_end_id};04/01/2027;123,45;am04\n"
    assert rejects(sent, text).applied == 1


def test_the_resident_reads_in_mes_informations_that_his_mandate_is_suspended(sent, client):
    from django.urls import reverse

    page_url = reverse("space:informations", args=[sent.authority.slug])
    rejects(sent, HEADER + f"{sent.dupont_debits[0].end_to_end_id};10/01/2027;30,00;AM04\n")
    client.force_login(sent.user)
    page = " ".join(client.get(page_url).content.decode().split())
    assert "Mon échéancier de prélèvement" in page
    assert "est suspendu" not in page
    invoice = sent.invoice(sent.dupont, "2600420000005", 3000)
    debit = sent.debit(sent.dupont_mandate, invoice, datetime.date(2027, 2, 10), 3000)
    made = debit_file_generate(
        authority=sent.authority, up_to=datetime.date(2027, 2, 28), by=sent.agent, today=TODAY
    )
    debit_file_mark_transmitted(debit_file=made, by=sent.agent)
    debit.refresh_from_db()
    rejects(sent, HEADER + f"{debit.end_to_end_id};10/02/2027;30,00;AC06\n")
    page = " ".join(client.get(page_url).content.decode().split())
    assert "Votre mandat de prélèvement RUM-00420-00001-1 est suspendu depuis le" in page
    assert "votre banque a rejeté deux prélèvements de suite" in page
    assert "Prélèvement de 30,00 € du 10 février 2027 rejeté (motif AC06)" in page.replace(
        "\u00a0", " "
    )
    assert "Je choisis le prélèvement automatique" in page
    assert "Mon échéancier de prélèvement" not in page


def test_the_duplicata_no_longer_says_a_rejected_debit_was_taken(sent):
    from levee.billing.pdf import _debits_of

    invoice = Invoice.objects.get(pk=sent.martin_invoice.pk)
    assert [d["amount_cents"] for d in _debits_of(invoice, today=TODAY)] == [12345]
    rejects(sent, HEADER + f"{sent.martin_debit.end_to_end_id};04/01/2027;123,45;AM04\n")
    assert _debits_of(invoice, today=datetime.date(2027, 1, 20)) == []
