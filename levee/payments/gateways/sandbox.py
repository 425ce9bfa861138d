"""The sandbox gateway: PayFiP's two screens imitated under the portal (/paiement-test/…),
for the demo and the embedded mode. No money moves. It keeps its own record of each
operation (`SandboxTransaction`), which its screens fill in and its status call reads, so
the portal confirms a sandbox payment exactly as it confirms a PayFiP one."""

import datetime
import secrets

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from levee.billing.models import BillingSettings
from levee.payments.models import PaymentMethod, SandboxResult, SandboxTransaction

from .base import Checkout, Gateway, Outcome, Status

ACCEPTED_CARD = "4000009999999999"
REFUSED_CARD = "4000000000000002"
# Like a PayFiP idop: the screens take no answer after this, the status call says expired.
LIFETIME = datetime.timedelta(minutes=20)

OUTCOMES = {
    SandboxResult.CARD_PAID: (Outcome.PAID, PaymentMethod.CARD),
    SandboxResult.DEBIT_PAID: (Outcome.PAID, PaymentMethod.DEBIT),
    SandboxResult.REFUSED: (Outcome.REFUSED, ""),
    SandboxResult.ABANDONED: (Outcome.ABANDONED, ""),
}


class SandboxGateway(Gateway):
    name = "sandbox"

    def start(self, *, order_ref, year, amount_cents, email, label, notify_url, return_url):
        sandbox = SandboxTransaction.objects.create(
            authority=self.settings.authority,
            idop=secrets.token_hex(16),
            refdet=order_ref,
            exer=str(year),
            amount_cents=amount_cents,
            email=email,
            return_url=return_url,
        )
        return Checkout(
            order_id=sandbox.idop,
            redirect_url=reverse("payments:sandbox_debt", args=[sandbox.idop]),
        )

    def status(self, *, order_id, started_at):
        sandbox = SandboxTransaction.objects.filter(idop=order_id).first()
        if sandbox is None:
            return Status(Outcome.EXPIRED, detail={"error": "opération inconnue"})
        if sandbox.result == SandboxResult.NONE:
            expired = sandbox_expired(sandbox, now=timezone.now())
            return Status(Outcome.EXPIRED if expired else Outcome.WAITING)
        outcome, method = OUTCOMES[sandbox.result]
        return Status(
            outcome,
            method=method,
            transaction_id=f"SANDBOX{sandbox.pk:015d}",
            paid_at=sandbox.finished_at if outcome == Outcome.PAID else None,
            amount_cents=sandbox.amount_cents,
            detail={"resultrans": sandbox.result, "sandbox": True},
        )


def sandbox_expired(sandbox: SandboxTransaction, *, now: datetime.datetime) -> bool:
    return sandbox.result == SandboxResult.NONE and sandbox.created_at + LIFETIME < now


def sandbox_transaction_find(idop: str) -> SandboxTransaction | None:
    """The operation of the sandbox's screens; its idop, random, is what gives access to
    it, as PayFiP's does. None when unknown, and on a site where the sandbox is not allowed
    (PAYMENT_SANDBOX_ALLOWED off: production); the screens answer 404 then."""
    if not settings.PAYMENT_SANDBOX_ALLOWED:
        return None
    return SandboxTransaction.objects.filter(idop=idop[:64]).select_related("authority").first()


def sandbox_screen_context(sandbox: SandboxTransaction) -> dict:
    """What the screens show besides the operation: the collectivité and its comptable."""
    authority = sandbox.authority
    try:
        treasury = authority.billing_settings.treasury_name
    except BillingSettings.DoesNotExist:
        treasury = ""
    return {
        "sandbox": sandbox,
        "collectivite": authority.short_name or authority.name,
        "comptable": treasury or authority.payment_recipient or authority.name,
    }


@transaction.atomic
def sandbox_transaction_finish(*, sandbox: SandboxTransaction, result: str) -> bool:
    """Records how the resident ended the operation on the sandbox's screens, once: a
    second answer (another tab, a replayed form) changes nothing. Returns whether it did."""
    now = timezone.now()
    if sandbox_expired(sandbox, now=now):
        return False
    done = SandboxTransaction.objects.filter(pk=sandbox.pk, result=SandboxResult.NONE).update(
        result=result, finished_at=now, updated_at=now
    )
    return done == 1
