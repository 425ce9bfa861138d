"""The régie's pain.008 files: the debits due up to a date, FRST for a mandate's first
debit and RCUR after, the amounts and dates, the régie's ICS and account, checked against
the schema sepaxml ships; transmitted once, never regenerated after."""

import datetime

import pytest
from lxml import etree

from levee.audit.models import AuditEntry
from levee.payments.debit_files import (
    DebitFileError,
    debit_file_generate,
    debit_file_mark_transmitted,
    pain008_validate,
)
from levee.payments.models import (
    DebitFile,
    DebitFileStatus,
    DebitStatus,
    MandateStatus,
    PaymentSettings,
    ScheduledDebit,
)
from levee.treasury.models import CollectionMode, PublicAccountingSettings
from testkit import make_user

from .debit_world import REGIE_BIC, REGIE_IBAN, TODAY, RegieWorld

pytestmark = pytest.mark.django_db
NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.008.001.02"}
END_OF_JANUARY = datetime.date(2027, 1, 31)


@pytest.fixture
def regie(db):
    world = RegieWorld()
    world.agent = make_user("agent.pilat@example.org")
    return world


def parsed(debit_file):
    with debit_file.file.open("rb") as handle:
        return etree.fromstring(handle.read())


def generate(regie, up_to=END_OF_JANUARY, today=TODAY):
    return debit_file_generate(authority=regie.authority, up_to=up_to, by=regie.agent, today=today)


def test_the_debits_due_next_month_make_one_pain008_file_with_the_regie_as_creditor(regie):
    made = generate(regie)
    assert (made.count, made.total_cents, made.status) == (2, 3000 + 12345, "genere")
    assert (made.first_collection_on, made.last_collection_on) == (
        datetime.date(2027, 1, 4),
        datetime.date(2027, 1, 10),
    )
    root = parsed(made)
    assert root.findtext("p:CstmrDrctDbtInitn/p:GrpHdr/p:NbOfTxs", namespaces=NS) == "2"
    assert root.findtext("p:CstmrDrctDbtInitn/p:GrpHdr/p:CtrlSum", namespaces=NS) == "153.45"
    blocks = root.findall("p:CstmrDrctDbtInitn/p:PmtInf", namespaces=NS)
    # One PmtInf per sequence type and collection date: both first debits, two dates.
    assert sorted(
        (
            b.findtext("p:PmtTpInf/p:SeqTp", namespaces=NS),
            b.findtext("p:ReqdColltnDt", namespaces=NS),
        )
        for b in blocks
    ) == [("FRST", "2027-01-04"), ("FRST", "2027-01-10")]
    for block in blocks:
        assert block.findtext("p:CdtrAcct/p:Id/p:IBAN", namespaces=NS) == REGIE_IBAN
        assert block.findtext("p:CdtrAgt/p:FinInstnId/p:BIC", namespaces=NS) == REGIE_BIC
        assert block.findtext(".//p:CdtrSchmeId//p:Othr/p:Id", namespaces=NS) == "FR28ZZZ571903"
    martin = root.xpath("//p:DrctDbtTxInf[.//p:MndtId='RUM-00420-00002-1']", namespaces=NS)[0]
    assert martin.findtext("p:InstdAmt", namespaces=NS) == "123.45"
    assert martin.findtext(".//p:DtOfSgntr", namespaces=NS) == "2021-03-01"
    assert martin.findtext("p:DbtrAgt/p:FinInstnId/p:Othr/p:Id", namespaces=NS) == "NOTPROVIDED"
    regie.martin_debit.refresh_from_db()
    assert (
        martin.findtext("p:PmtId/p:EndToEndId", namespaces=NS) == regie.martin_debit.end_to_end_id
    )
    assert regie.martin_debit.file == made and regie.martin_debit.status == DebitStatus.PLANNED
    # Only January's debits: February and March stay for the next files.
    assert ScheduledDebit.objects.filter(file__isnull=True).count() == 2
    assert AuditEntry.objects.filter(action="debit_file.generate").count() == 1


def test_after_a_transmitted_file_the_next_debits_of_the_mandate_are_recurrent(regie):
    debit_file_mark_transmitted(debit_file=generate(regie), by=regie.agent)
    later = generate(regie, up_to=datetime.date(2027, 3, 31))
    root = parsed(later)
    assert [
        b.findtext("p:PmtTpInf/p:SeqTp", namespaces=NS)
        for b in root.findall(".//p:PmtInf", namespaces=NS)
    ] == ["RCUR", "RCUR"]
    assert later.count == 2 and later.total_cents == 6000


def test_a_debit_past_due_is_asked_for_the_next_day(regie):
    made = generate(regie, today=datetime.date(2027, 1, 8))
    regie.martin_debit.refresh_from_db()
    assert regie.martin_debit.collection_on == datetime.date(2027, 1, 9)
    assert made.first_collection_on == datetime.date(2027, 1, 9)


def test_transmitted_marks_the_debits_and_the_file_is_never_generated_again(regie):
    made = generate(regie)
    debit_file_mark_transmitted(debit_file=made, by=regie.agent)
    made.refresh_from_db()
    assert made.status == DebitFileStatus.TRANSMITTED and made.transmitted_by == regie.agent
    assert ScheduledDebit.objects.filter(file=made, status=DebitStatus.SENT).count() == 2
    with pytest.raises(DebitFileError, match="déjà transmis"):
        debit_file_mark_transmitted(debit_file=made, by=regie.agent)
    with pytest.raises(DebitFileError, match="Aucun prélèvement n'est dû jusqu'au 31/01/2027"):
        generate(regie)
    assert DebitFile.objects.get() == made
    assert AuditEntry.objects.filter(action="debit_file.transmit").count() == 1


def test_generating_again_replaces_the_file_not_yet_transmitted(regie):
    first = generate(regie)
    second = generate(regie, up_to=datetime.date(2027, 2, 28))
    assert list(DebitFile.objects.all()) == [second]
    assert second.count == 3
    assert not first.file.storage.exists(first.file.name)
    assert AuditEntry.objects.filter(action="debit_file.replace").count() == 1


def test_suspended_or_revoked_mandates_and_cancelled_debits_stay_out(regie):
    regie.martin_mandate.status = MandateStatus.SUSPENDED
    regie.martin_mandate.save(update_fields=["status"])
    made = generate(regie)
    assert made.count == 1 and made.total_cents == 3000


def test_incomplete_settings_or_pes_mode_make_no_file(regie):
    PaymentSettings.objects.filter(authority=regie.authority).update(
        creditor_iban="", creditor_bic=""
    )
    with pytest.raises(DebitFileError) as refused:
        generate(regie)
    assert "l'IBAN de la régie, le BIC de la régie" in refused.value.message
    PaymentSettings.objects.filter(authority=regie.authority).update(
        creditor_iban=REGIE_IBAN, creditor_bic=REGIE_BIC
    )
    PublicAccountingSettings.objects.filter(authority=regie.authority).update(
        collection_mode=CollectionMode.PES
    )
    with pytest.raises(DebitFileError, match="« Régie »"):
        generate(regie)
    assert not DebitFile.objects.exists()


def test_the_file_passes_the_schema_and_a_broken_one_fails(regie):
    made = generate(regie)
    with made.file.open("rb") as handle:
        content = handle.read()
    pain008_validate(content)  # no exception
    broken = content.replace(b"<SeqTp>FRST</SeqTp>", b"<SeqTp>SOON</SeqTp>", 1)
    with pytest.raises(DebitFileError, match="n'est pas conforme au schéma pain.008.001.02"):
        pain008_validate(broken)
    missing_iban = content.replace(REGIE_IBAN.encode(), b"", 1)
    with pytest.raises(DebitFileError):
        pain008_validate(missing_iban)
    with pytest.raises(DebitFileError):
        pain008_validate(b"not xml at all")


def test_a_creditor_iban_the_schema_refuses_makes_no_file(regie):
    PaymentSettings.objects.filter(authority=regie.authority).update(creditor_iban="FR76-3000-6000")
    with pytest.raises(DebitFileError, match="schéma"):
        generate(regie)
    assert not DebitFile.objects.exists()
    assert not ScheduledDebit.objects.exclude(end_to_end_id="").exists()
