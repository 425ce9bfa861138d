"""Each event is recorded for the authority's webhooks in the transaction of the change
that makes it, by the services every screen (and the API) calls."""

import datetime
import io

import pytest

from levee.accounts.models import AccountOpeningRequest
from levee.agents.services import opening_request_accept
from levee.collection.importers import lift_import
from levee.collection.tests.conftest import make_bin
from levee.integrations.models import WebhookDelivery, WebhookEvent
from levee.integrations.services import webhook_endpoint_create
from levee.payments.recorded import payment_record
from levee.payments.tests.conftest import make_invoice
from levee.requests.services import service_request_refuse
from levee.requests.tests.conftest import make_request, world  # noqa: F401 (a fixture)
from testkit import make_opening_request, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def hooked(world):  # noqa: F811
    endpoint, _ = webhook_endpoint_create(
        authority=world.ccfi,
        url="https://logiciel.example.org/levee",
        events=WebhookEvent.values,
        created_by=world.ccfi_agent,
    )
    webhook_endpoint_create(
        authority=world.pilat,
        url="https://pilat.example.org/levee",
        events=WebhookEvent.values,
        created_by=world.pilat_agent,
    )
    return world


def events():
    return [(d.event, d.payload["data"]) for d in WebhookDelivery.objects.order_by("pk")]


def test_a_request_made_then_refused_tells_created_then_status_changed(hooked):
    service_request = make_request(hooked)
    service_request_refuse(
        service_request=service_request, agent_user=hooked.ccfi_agent, reason="Justificatif"
    )
    assert events() == [
        (
            "request.created",
            {
                "request_id": service_request.pk,
                "kind": "personal_information",
                "account_code": "00001",
                "status": "pending",
            },
        ),
        (
            "request.status_changed",
            {
                "request_id": service_request.pk,
                "kind": "personal_information",
                "account_code": "00001",
                "status": "refused",
                "from_status": "pending",
            },
        ),
    ]
    assert set(WebhookDelivery.objects.values_list("authority_id", flat=True)) == {hooked.ccfi.pk}


def test_a_payment_recorded_at_the_counter_tells_payment_confirmed(hooked):
    invoice = make_invoice(hooked.account)
    payment = payment_record(
        invoice=invoice,
        method="cheque",
        paid_on=datetime.date.today(),
        reference="1234567",
        amount_cents=invoice.total_cents,
        by=hooked.ccfi_agent,
    )
    [(event, data)] = events()
    assert event == "payment.confirmed"
    assert data["payment_id"] == payment.pk
    assert data["invoice_number"] == "2300240069928"
    assert data["account_code"] == "00001"
    assert data["amount_cents"] == 8794 and data["invoice_settled"] is True


def test_an_opening_request_accepted_tells_account_opened(hooked):
    commune = hooked.ccfi.communes.get(insee="59043")
    opening = make_opening_request(
        hooked.ccfi, commune, make_user("paul.martin@example.org", active=False)
    )
    AccountOpeningRequest.objects.filter(pk=opening.pk).update(status="pending")
    opening.refresh_from_db()
    account = opening_request_accept(opening_request=opening, agent_user=hooked.ccfi_agent)
    [(event, data)] = events()
    assert event == "account.opened"
    assert data == {
        "account_code": account.code,
        "account_created": True,
        "via": "opening_request",
        "opening_request_id": opening.pk,
    }


def test_an_import_tells_import_finished_with_its_counts(hooked):
    make_bin(hooked.account, chip="E0040001")
    batch = lift_import(
        authority=hooked.ccfi,
        file=io.BytesIO(
            b"horodatage;puce;cuve;flux;poids_kg;vehicule\n"
            b"2024-03-05 07:12;E0040001;;om;12,5;BOM-12\n"
            b"2024-03-05 07:13;INCONNUE;;om;12,5;BOM-12\n"
        ),
        filename="levees.csv",
    )
    [(event, data)] = events()
    assert event == "import.finished"
    assert data == {
        "import_id": batch.pk,
        "kind": "lifts",
        "filename": "levees.csv",
        "status": "done",
        "message": "",
        "rows_total": 2,
        "rows_imported": 1,
        "rows_rejected": 1,
    }


def test_a_refused_file_tells_import_finished_failed(hooked):
    lift_import(authority=hooked.ccfi, file=io.BytesIO(b""), filename="vide.csv")
    [(event, data)] = events()
    assert event == "import.finished"
    assert data["status"] == "failed"
    assert data["message"] == "Le fichier est vide : rien n'a été importé."
