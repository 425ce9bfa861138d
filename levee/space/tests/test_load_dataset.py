"""The load test's dataset (bench/load/, issue 15) read by the app itself: built by its SQL
at a tiny scale into the test database, then a generated resident logs in with the known
password and opens his space, and a generated agent logs in with a code computed from his
TOTP secret. Fails when generate.sql drifts from the models (a column renamed, a NOT NULL
added, a value the pages cannot read)."""

import importlib.util
import re
import sys
from pathlib import Path

import pytest
from django.db import connection

from levee.billing.models import Invoice, InvoiceLine, InvoiceSequence
from levee.collection.models import Lift
from levee.requests.models import ServiceRequest

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgresql]

LOAD = Path(__file__).resolve().parents[3] / "bench" / "load"


def _module(name):
    if str(LOAD) not in sys.path:
        sys.path.insert(0, str(LOAD))
    spec = importlib.util.spec_from_file_location(f"load_{name}", LOAD / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def dataset():
    build = _module("build")
    result = build.build(connection.settings_dict["NAME"], scale=0.002, seed=15)
    return build, _module("cast"), result


def test_the_dataset_is_read_by_the_app_a_resident_and_an_agent_log_in(client, dataset, settings):
    """One build (some seconds) for every check."""
    _, cast, result = dataset
    counts = result["counts"]
    assert counts["subscribers_account"] == 200
    assert counts["collection_lift"] == Lift.objects.count() > 15_000
    assert counts["billing_invoice"] > 500
    assert ServiceRequest.objects.filter(status__in=["pending", "waiting"]).exists()
    for sequence in InvoiceSequence.objects.all():
        numbers = sorted(
            int(n[-6:])
            for n in Invoice.objects.filter(
                authority=sequence.authority, year=sequence.year
            ).values_list("number", flat=True)
        )
        assert numbers == list(range(1, sequence.next_value))
    invoice = Invoice.objects.filter(lines__kind="supplementaires").first()
    assert invoice.total_ht_cents == sum(
        InvoiceLine.objects.filter(invoice=invoice).values_list("amount_cents", flat=True)
    )
    # Every lift lies in its bin's active days: none before its delivery.
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT count(*) FROM collection_lift l JOIN collection_bin b ON b.id = l.bin_id
            WHERE (l.lifted_at AT TIME ZONE 'Europe/Paris')::date < b.delivered_on"""
        )
        assert cursor.fetchone()[0] == 0
    resident_reads_his_space(client, cast)
    client.logout()
    settings.TWO_FACTOR_REQUIRED = True
    agent_works_the_queue(client, cast)


def resident_reads_his_space(client, cast):
    slug = cast.AUTHORITIES[0][0]
    response = client.post(
        f"/{slug}/connexion/",
        {"email": cast.resident_email("a", 1), "password": cast.PASSWORD},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    home = client.get(f"/{slug}/espace/")
    assert home.status_code == 200
    invoice = Invoice.objects.filter(account__code="000001", account__authority__slug=slug).first()
    assert invoice.status == "a_regler"  # the pool's last invoice waits for the load test
    page = client.get(f"/{slug}/espace/mes-factures/").content.decode()
    assert invoice.number in page
    assert re.search(r"\d+,\d\d\s€", page)
    production = client.get(f"/{slug}/espace/mes-bacs-levees/")
    assert production.status_code == 200
    assert "Levées" in production.content.decode() or "levées" in production.content.decode()
    assert client.get(f"/{slug}/espace/suivi-de-mes-demandes/").status_code == 200


def agent_works_the_queue(client, cast):
    response = client.post(
        "/backoffice/connexion/",
        {"email": cast.agent_email("b", 2), "password": cast.PASSWORD},
    )
    assert response.status_code == 302
    verify = response["Location"]
    assert "/securite/code/" in verify
    key = cast.agent_totp_key("b", 2)
    response = client.post(verify, {"code": cast.totp(key)})
    assert response.status_code == 302, response.content.decode()[:2000]
    queue = client.get("/backoffice/demandes/")
    assert queue.status_code == 200
    pending = ServiceRequest.objects.filter(
        status="pending", authority__slug=cast.AUTHORITIES[1][0]
    ).first()
    assert client.get(f"/backoffice/demandes/{pending.pk}/").status_code == 200
    accounts = client.get("/backoffice/comptes/", {"q": "MARTIN"})
    assert accounts.status_code == 200
