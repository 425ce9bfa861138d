from django import template
from django.utils import timezone

from levee.payments.selectors import settlement_state

register = template.Library()


@register.simple_tag
def settlement_of(invoice, authority=None):
    """`{% settlement_of invoice authority as settlement %}`: the invoice's SettlementState
    today (see payments.selectors.settlement_state)."""
    return settlement_state(invoice, today=timezone.localdate(), authority=authority)
