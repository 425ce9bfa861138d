"""PayFiP, the DGFiP's payment service, through eopayment's `payfip_ws` backend.

`creerPaiementSecurise` opens an operation (idop) for a debt: refdet (the invoice number),
exer (its year), the amount in cents, the payer's email, the notification and return URLs;
the resident pays on payfip.gouv.fr; `recupererDetailPaiementSecurise` (the status call)
says how it ended: resultrans P (card) or V (debit) paid, R or Z refused, A abandoned; a
P5 fault while the operation is still open, P1 once PayFiP forgot it.
"""

import datetime
import functools
import logging
import zoneinfo
from decimal import Decimal

import eopayment
from django.conf import settings
from eopayment.payfip_ws import PayFiP, PayFiPError

from levee.payments.models import PaymentMethod

from .base import Checkout, Gateway, GatewayError, Outcome, Status

logger = logging.getLogger(__name__)

OUTCOMES = {
    eopayment.PAID: Outcome.PAID,
    eopayment.DENIED: Outcome.REFUSED,
    eopayment.CANCELLED: Outcome.ABANDONED,
    eopayment.EXPIRED: Outcome.EXPIRED,
    eopayment.WAITING: Outcome.WAITING,
}
METHODS = {"P": PaymentMethod.CARD, "V": PaymentMethod.DEBIT}


@functools.lru_cache(maxsize=4)
def payfip_client(wsdl_url: str) -> PayFiP:
    """One SOAP client per WSDL and process: parsing the WSDL costs more than a call."""
    return PayFiP(wsdl_url=wsdl_url or None)


class PayfipGateway(Gateway):
    name = "payfip"

    def backend(self, *, notify_url: str = "", return_url: str = ""):
        payment = eopayment.Payment(
            eopayment.PAYFIP_WS,
            {
                "numcli": self.settings.payfip_numcli,
                "saisie": self.settings.payfip_saisie,
                "normal_return_url": return_url,
                "automatic_return_url": notify_url,
            },
            logger=logger,
        )
        payment.backend.payfip = payfip_client(settings.PAYFIP_WSDL_URL)
        return payment.backend

    def start(self, *, order_ref, year, amount_cents, email, label, notify_url, return_url):
        backend = self.backend(notify_url=notify_url, return_url=return_url)
        try:
            idop, _kind, url = backend.request(
                str(Decimal(amount_cents) / 100),
                email=email,
                refdet=order_ref,
                exer=str(year),
                subject=label,
            )
        except (PayFiPError, ValueError) as error:
            logger.warning("PayFiP refused to open a payment for %s: %s", order_ref, error)
            raise GatewayError(str(error)) from error
        except Exception as error:  # eopayment reading an answer it did not expect
            logger.warning("PayFiP's answer for %s was not understood: %r", order_ref, error)
            raise GatewayError(f"réponse incomprise : {error!r}") from error
        if not idop or idop == "None":  # eopayment writes a missing idOp as "None"
            logger.warning("PayFiP opened no operation for %s (no idOp)", order_ref)
            raise GatewayError("réponse sans idOp")
        return Checkout(order_id=idop, redirect_url=url)

    def status(self, *, order_id, started_at):
        try:
            response = self.backend().payment_status(order_id, transaction_date=started_at)
        except PayFiPError as error:
            logger.warning("PayFiP status call for %s failed: %s", order_id, error)
            return Status(Outcome.WAITING, detail={"error": str(error)})
        except Exception as error:  # eopayment reading an answer it did not expect
            logger.warning("PayFiP's status answer for %s was not understood: %r", order_id, error)
            return Status(Outcome.WAITING, detail={"error": repr(error)})
        data = {key: str(value) for key, value in (response.bank_data or {}).items()}
        outcome = OUTCOMES.get(response.result, Outcome.WAITING)  # ERROR: unknown result code
        paid_at = None
        amount_cents = None
        if outcome == Outcome.PAID:
            paid_at = transaction_datetime(data)
            if data.get("montant", "").isdigit():
                amount_cents = int(data["montant"])
        return Status(
            outcome,
            method=METHODS.get(data.get("resultrans", ""), PaymentMethod.OTHER)
            if outcome == Outcome.PAID
            else "",
            transaction_id=(data.get("numauto") or "")[:64],
            paid_at=paid_at,
            amount_cents=amount_cents,
            detail={"bank_status": response.bank_status, **data},
        )


def transaction_datetime(data: dict) -> datetime.datetime | None:
    """When PayFiP says the transaction happened (dattrans ddmmyyyy, heurtrans hhmm, Paris)."""
    try:
        return datetime.datetime.strptime(
            data["dattrans"] + data["heurtrans"] + "+0000", "%d%m%Y%H%M%z"
        ).replace(tzinfo=zoneinfo.ZoneInfo("Europe/Paris"))
    except (KeyError, ValueError):
        return None
