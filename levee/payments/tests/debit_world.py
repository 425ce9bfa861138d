"""A régie (the Pilat Rhodanien) with its creditor account, two accounts on mandates and
their planned debits, for the tests of the pain.008 files and the bank's rejects."""

import datetime

from levee.billing.models import InvoiceStatus
from levee.payments.models import (
    DebitSchedule,
    Mandate,
    PaymentSettings,
    ScheduledDebit,
)
from levee.treasury.models import CollectionMode, PublicAccountingSettings
from testkit import make_account, make_user, pilat_world

from .conftest import make_invoice

REGIE_IBAN = "FR7610071420000000100042187"
REGIE_BIC = "TRPUFRP1XXX"
TODAY = datetime.date(2026, 12, 2)


class RegieWorld:
    def __init__(self):
        self.authority, commune = pilat_world()
        PublicAccountingSettings.objects.create(
            authority=self.authority, collection_mode=CollectionMode.REGIE
        )
        PaymentSettings.objects.create(
            authority=self.authority,
            creditor_identifier="FR28ZZZ571903",
            creditor_iban=REGIE_IBAN,
            creditor_bic=REGIE_BIC,
        )
        self.dupont = make_account(authority=self.authority, commune=commune, code="00001")
        self.dupont.email = "dupont42@example.org"
        self.dupont.save(update_fields=["email"])
        self.user = make_user("dupont42@example.org", accounts=[self.dupont])
        self.martin = make_account(
            authority=self.authority,
            commune=commune,
            code="00002",
            portal_key="PSEMCSMK",
            last_name="MARTIN",
        )
        self.martin.email = "martin42@example.org"
        self.martin.save(update_fields=["email"])
        # Dupont: a monthly mandate, his invoice in three debits (10 January, February,
        # March 2027); Martin: one debit of his whole invoice on 4 January 2027.
        self.dupont_mandate = self.mandate(self.dupont, "RUM-00420-00001-1", DebitSchedule.MONTHLY)
        self.martin_mandate = self.mandate(
            self.martin, "RUM-00420-00002-1", DebitSchedule.PER_INVOICE, bic=""
        )
        self.dupont_invoice = self.invoice(self.dupont, "2600420000001", 9000)
        self.martin_invoice = self.invoice(self.martin, "2600420000002", 12345)
        self.dupont_debits = [
            self.debit(self.dupont_mandate, self.dupont_invoice, datetime.date(2027, m, 10), 3000)
            for m in (1, 2, 3)
        ]
        self.martin_debit = self.debit(
            self.martin_mandate, self.martin_invoice, datetime.date(2027, 1, 4), 12345
        )

    def mandate(self, account, rum, schedule, bic="AGRIFRPPXXX"):
        return Mandate.objects.create(
            authority=self.authority,
            account=account,
            rum=rum,
            creditor_identifier="FR28ZZZ571903",
            schedule=schedule,
            holder_name=f"{account.last_name} {account.first_name}".upper(),
            iban="FR7630006000011234567890189",
            bic=bic,
            signed_on=datetime.date(2021, 3, 1),
        )

    def invoice(self, account, number, cents):
        return make_invoice(
            account,
            number=number,
            total_cents=cents,
            status=InvoiceStatus.OPEN,
            direct_debit=True,
            year=2026,
            issued_on=datetime.date(2026, 12, 1),
            due_on=datetime.date(2027, 1, 4),
            period_start=datetime.date(2026, 1, 1),
            period_end=datetime.date(2026, 12, 31),
        )

    def debit(self, mandate, invoice, on, cents):
        return ScheduledDebit.objects.create(
            authority=self.authority,
            mandate=mandate,
            invoice=invoice,
            due_on=on,
            amount_cents=cents,
        )
