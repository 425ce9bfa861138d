"""The payment gateways, by name (`PaymentSettings.gateway`). See CONTRIBUTING.md, « How to
add a payment gateway »."""

from django.conf import settings

from levee.payments.models import GatewayName, PaymentSettings

from .base import Checkout, Gateway, GatewayError, Outcome, Status
from .payfip import PayfipGateway
from .sandbox import SandboxGateway

__all__ = [
    "Checkout",
    "Gateway",
    "GatewayError",
    "Outcome",
    "Status",
    "gateway_for",
    "online_payment_offered",
]

GATEWAYS: dict[str, type[Gateway]] = {
    GatewayName.SANDBOX: SandboxGateway,
    GatewayName.PAYFIP: PayfipGateway,
}


def payment_settings_of(authority) -> PaymentSettings:
    """The authority's payment settings (the operator's, in the Django admin), or the
    defaults (the sandbox) when it has none."""
    row = PaymentSettings.objects.filter(authority=authority).first()
    return row or PaymentSettings(authority=authority)


def online_payment_offered(authority) -> bool:
    """Whether the authority's invoices can be paid online: always, but through the sandbox
    where PAYMENT_SANDBOX_ALLOWED is off (production), which takes no money. Kept on the
    authority object, so a list of its invoices asks once."""
    if settings.PAYMENT_SANDBOX_ALLOWED:
        return True
    offered = getattr(authority, "_online_payment_offered", None)
    if offered is None:
        offered = not settings.PAYMENT_SANDBOX_ONLY and (
            payment_settings_of(authority).gateway != GatewayName.SANDBOX
        )
        authority._online_payment_offered = offered
    return offered


def gateway_for(authority, name: str | None = None) -> Gateway:
    """The gateway of `authority`: the one named (a payment keeps the gateway it was started
    with), else the one its settings choose; always the sandbox when PAYMENT_SANDBOX_ONLY."""
    payment_settings = payment_settings_of(authority)
    if name is None:
        name = GatewayName.SANDBOX if settings.PAYMENT_SANDBOX_ONLY else payment_settings.gateway
    return GATEWAYS[name](payment_settings)
