"""« Règlement confirmé » told to the authority's webhooks, by every way a payment is
confirmed: online (`services.payment_settle`) and recorded or imported
(`recorded.payment_record`)."""

from levee.integrations.services import webhook_event_record
from levee.subscribers.models import Account


def payment_confirmed_tell(*, payment, invoice, settled: bool) -> None:
    """Records the event in the transaction that confirms the payment."""
    code = Account.objects.filter(authority_id=invoice.authority_id, pk=invoice.account_id)
    webhook_event_record(
        authority=invoice.authority_id,
        event="payment.confirmed",
        payload={
            "payment_id": payment.pk,
            "invoice_number": invoice.number,
            "account_code": code.values_list("code", flat=True).first(),
            "amount_cents": payment.amount_cents,
            "method": payment.method,
            "channel": payment.channel,
            "paid_at": payment.paid_at.isoformat() if payment.paid_at else None,
            "invoice_settled": settled,
        },
    )
