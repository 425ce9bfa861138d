import datetime

import pytest
from django.utils import timezone

from levee.billing.models import Invoice, InvoiceStatus
from levee.payments.gateways.payfip import payfip_client
from levee.payments.models import GatewayName, PayfipMode, Payment, PaymentSettings
from testkit import ccfi_world, make_user

from .fake_payfip import fake_payfip_start


def make_invoice(account, *, number="2300240069928", total_cents=8794, **fields) -> Invoice:
    """The seed's invoice 2300240069928 for 87,94 €, issued ten days ago, due in twenty
    days: payable online today."""
    today = timezone.localdate()
    values = {
        "status": InvoiceStatus.OPEN,
        "year": 2023,
        "issued_on": today - datetime.timedelta(days=10),
        "due_on": today + datetime.timedelta(days=20),
        "period_start": datetime.date(2023, 1, 1),
        "period_end": datetime.date(2023, 6, 30),
        "total_ht_cents": total_cents,
        "total_cents": total_cents,
        "payer_name": f"{account.last_name} {account.first_name}",
        "payer_address": "29 route de Méteren 59270 Bailleul",
        "published_at": datetime.datetime(2023, 7, 2, 8, tzinfo=datetime.UTC),
    }
    values.update(fields)
    return Invoice.objects.create(
        authority=account.authority,
        account=account,
        subscription=account.subscriptions.first(),
        number=number,
        **values,
    )


def make_payment(invoice, **fields) -> Payment:
    """A sandbox payment of the invoice, waiting unless told otherwise."""
    values = {"gateway": "sandbox", "amount_cents": invoice.total_cents, **fields}
    return Payment.objects.create(
        authority_id=invoice.authority_id, invoice=invoice, account_id=invoice.account_id, **values
    )


class World:
    def __init__(self):
        self.authority, self.account = ccfi_world()
        self.authority.payment_recipient = "Service de gestion comptable d'Hazebrouck"
        self.authority.save(update_fields=["payment_recipient"])
        self.account.email = "dupont59@gmail.com"
        self.account.save(update_fields=["email"])
        self.user = make_user("dupont59@gmail.com", accounts=[self.account])
        self.invoice = make_invoice(self.account)


@pytest.fixture
def world(db):
    return World()


@pytest.fixture
def fake_payfip(settings):
    """PayFiP on 127.0.0.1, the authority of `world` configured for it (numcli, saisie T)."""
    fake, server = fake_payfip_start()
    settings.PAYFIP_WSDL_URL = fake.wsdl_url
    settings.PAYMENT_SANDBOX_ONLY = False
    settings.SITE_URL = "https://dechets.example.org"
    yield fake
    server.shutdown()
    server.server_close()
    payfip_client.cache_clear()


@pytest.fixture
def payfip_world(world, fake_payfip):
    PaymentSettings.objects.create(
        authority=world.authority,
        gateway=GatewayName.PAYFIP,
        payfip_numcli="012345",
        payfip_saisie=PayfipMode.TEST,
    )
    world.payfip = fake_payfip
    return world


def plain(response_or_html) -> str:
    """The page's text as read: tags removed, white space collapsed, entities decoded."""
    import re
    from html import unescape

    html = getattr(response_or_html, "content", response_or_html)
    if isinstance(html, bytes):
        html = html.decode()
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())
