"""What every payment gateway offers the portal: start a payment, and say where it stands.

A gateway never changes the portal's data: `payments.services` does, from the `Status`
the gateway's status call answers (never from what a notification or a browser posts).
"""

import datetime
import enum
from dataclasses import dataclass, field

from levee.payments.models import PaymentSettings


class Outcome(enum.StrEnum):
    WAITING = "waiting"
    PAID = "paid"
    REFUSED = "refused"
    ABANDONED = "abandoned"
    EXPIRED = "expired"


@dataclass(frozen=True)
class Checkout:
    """A started payment: the gateway's order id and where to send the resident."""

    order_id: str
    redirect_url: str


@dataclass(frozen=True)
class Status:
    outcome: Outcome
    method: str = ""  # a PaymentMethod value, when paid
    transaction_id: str = ""
    paid_at: datetime.datetime | None = None
    amount_cents: int | None = None  # what the gateway says was paid, when it says it
    detail: dict = field(default_factory=dict)


class GatewayError(Exception):
    """The gateway could not be reached or refused the request."""


class Gateway:
    """Base of the gateways; `payments.gateways.GATEWAYS` lists them by name."""

    name = ""
    # A started payment may be resumed (the resident sent back to the same page) this long.
    resume_minutes = 15

    def __init__(self, settings: PaymentSettings):
        self.settings = settings

    def start(
        self,
        *,
        order_ref: str,
        year: int,
        amount_cents: int,
        email: str,
        label: str,
        notify_url: str,
        return_url: str,
    ) -> Checkout:
        """Opens the payment at the gateway. Raises GatewayError."""
        raise NotImplementedError

    def status(self, *, order_id: str, started_at: datetime.datetime) -> Status:
        """The gateway's word on a payment. Never raises: an unreachable gateway is
        WAITING, with the error in `detail`."""
        raise NotImplementedError
