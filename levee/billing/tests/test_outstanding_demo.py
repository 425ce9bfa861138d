"""On the demo: « Restes à recouvrer » lists the demo's unpaid invoices (seed 004's among
them) for agent.flandre@example.org, and the first periodic run sends no reminder for the
invoices already due when the demo was loaded."""

from html import unescape

import pytest
from django.utils import timezone

from levee.accounts.models import User
from levee.authorities.models import Commune
from levee.billing.models import Invoice, InvoiceReminder, InvoiceStatus
from levee.billing.services_dunning import invoice_reminders_send
from levee.mailing.models import OutboxMessage

pytestmark = pytest.mark.django_db
URL = "/backoffice/facturation/restes-a-recouvrer/"


@pytest.fixture
def demo(demo_world, db):
    return demo_world


def test_the_page_lists_the_demos_unpaid_invoices(client, demo):
    client.force_login(User.objects.get(email="agent.flandre@example.org"))
    today = timezone.localdate()
    unpaid = Invoice.objects.filter(
        authority__slug="flandre-interieure",
        status=InvoiceStatus.OPEN,
        due_on__lt=today,
        total_cents__gt=0,
    ).exclude(number="")
    assert unpaid.count() > 1
    response = client.get(URL)
    assert response.status_code == 200
    page = " ".join(unescape(response.content.decode()).split())
    assert f"{unpaid.count()} factures impayées." in page
    assert "2300240069928" in page
    assert "le comptable public les recouvre" in page  # the CCFI sends titles
    martin = Invoice.objects.filter(
        account__code="00002", account__authority__slug="flandre-interieure"
    )
    assert martin.order_by("-issued_on").first() in unpaid
    assert "00002" in page
    # The README's filters.
    bailleul = Commune.objects.get(insee="59043")
    for params in ({"montant_min": "50"}, {"commune": bailleul.pk}):
        response = client.get(URL, params)
        assert "2300240069928" in response.content.decode()
    response = client.get(URL, {"montant_min": "cinquante"})
    assert response.status_code == 400
    response = client.get(URL, {"anciennete": "plus-de-180-jours"})
    page = " ".join(unescape(response.content.decode()).split())
    count = unpaid.filter(due_on__lte=today - timezone.timedelta(days=180)).count()
    assert f"{count} factures impayées pour ces critères." in page
    # Seed 004's invoice, unpaid since 2023, is the first of the oldest.
    body = b"".join(
        client.get("/backoffice/facturation/restes-a-recouvrer/export.csv").streaming_content
    ).decode("utf-8")
    lines = body.splitlines()
    assert len(lines) == unpaid.count() + 1
    assert lines[1].startswith("2300240069928;02/07/2023;01/08/2023;")
    assert "DUPONT PIERRE" in body


def test_the_first_periodic_run_sends_no_reminder_for_the_loaded_history(demo):
    today = timezone.localdate()
    assert InvoiceReminder.objects.filter(emailed=False).exists()
    invoice_reminders_send(today=today)
    reminded = Invoice.objects.filter(reminders__emailed=True)
    assert not reminded.filter(due_on__lt=today).exists()
    assert OutboxMessage.objects.filter(template="invoice_reminder").count() == (
        reminded.distinct().count()
    )
