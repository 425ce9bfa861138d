"""The agents' writes on online payments, each with its audit row."""

from django.db import transaction
from django.utils import timezone

from levee.audit.services import audit_write
from levee.payments.models import Payment


@transaction.atomic
def payment_review(*, payment: Payment, agent_user) -> bool:
    """« Marquer comme vérifié » on a payment of « Paiements à vérifier »: it leaves the
    list. False when another agent (or a double click) already did."""
    now = timezone.now()
    done = Payment.objects.filter(
        pk=payment.pk, authority_id=payment.authority_id, reviewed_at__isnull=True
    ).update(reviewed_at=now, reviewed_by=agent_user, updated_at=now)
    if not done:
        return False
    audit_write(
        authority=payment.authority,
        actor=agent_user,
        action="payment.review",
        obj=payment,
        after={
            "status": payment.status,
            "amount_cents": payment.amount_cents,
            "paid_amount_cents": payment.paid_amount_cents,
        },
    )
    return True
