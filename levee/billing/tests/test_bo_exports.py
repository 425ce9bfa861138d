"""The treasury's CSV exports: a run's invoices and the payments received between two dates
(columns of EXPORT_FORMAT.md), streamed in a fixed number of queries, formula-safe."""

import datetime
from html import unescape

import pytest
from django.http import StreamingHttpResponse
from django.utils import timezone

from levee.agents.roles import AgentRole
from levee.billing.models import Invoice
from levee.billing.tests.billing_builders import make_households
from levee.billing.tests.bo_world import bo_world, launch
from levee.payments.models import Payment, PaymentStatus

pytestmark = pytest.mark.django_db

PAYMENTS = "/backoffice/facturation/reglements/"


@pytest.fixture
def world():
    return bo_world()


def csv_text(response) -> str:
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return b"".join(response.streaming_content).decode("utf-8")


def at(day: int, hour: int = 10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(2023, 7, day, hour, 5))


@pytest.mark.parametrize("role", list(AgentRole))
def test_every_role_downloads_a_run_s_invoices_as_documented(
    client, world, role, django_capture_on_commit_callbacks
):
    run = launch(world, django_capture_on_commit_callbacks, kind="reelle")
    Invoice.objects.update(payer_name='=HYPERLINK("http://x")', direct_debit=True)
    world.account.paperless_invoices = True
    world.account.save(update_fields=["paperless_invoices"])
    client.force_login(world.agents[role].user)
    response = client.get(f"/backoffice/facturation/{run.pk}/factures.csv")
    assert response["Content-Disposition"] == (
        f'attachment; filename="factures-reelle-2023-{run.pk}.csv"'
    )
    lines = csv_text(response).splitlines()
    assert lines[0] == (
        "\ufeffNuméro;Date facture;Date d'échéance;Code usager;Payeur;Adresse du payeur;"
        "Référence abonnement;Début de période;Fin de période;Montant HT;Taux de TVA;TVA;"
        "Montant TTC;Statut;Date de règlement;Prélèvement;Facture dématérialisée"
    )
    assert lines[1] == (
        '2300240000001;02/07/2023;01/08/2023;00001;"\'=HYPERLINK(""http://x"")";'
        "29 route de Méteren 59270 Bailleul;00001;01/01/2023;31/12/2023;93,00;10;9,30;"
        "102,30;À régler;;oui;oui"
    )
    assert len(lines) == 2


def test_a_paid_invoice_says_its_date_and_a_simulation_has_no_number(
    client, world, django_capture_on_commit_callbacks
):
    simulation = launch(world, django_capture_on_commit_callbacks)
    client.force_login(world.reader)
    row = csv_text(client.get(f"/backoffice/facturation/{simulation.pk}/factures.csv"))
    assert row.splitlines()[1].startswith(";02/07/2023;")
    assert ";À blanc;;non;non" in row
    run = launch(world, django_capture_on_commit_callbacks, kind="reelle")
    Invoice.objects.filter(run=run).update(status="reglee", paid_at=at(20))
    row = csv_text(client.get(f"/backoffice/facturation/{run.pk}/factures.csv"))
    assert row.splitlines()[1].endswith(";Réglée;20/07/2023;non;non")


def test_the_invoices_export_reads_its_rows_in_a_fixed_number_of_queries(
    client, world, django_capture_on_commit_callbacks, django_assert_num_queries
):
    small = launch(world, django_capture_on_commit_callbacks)
    make_households(world.ccfi, 40, lifts=2)
    large = launch(world, django_capture_on_commit_callbacks, half=1)
    client.force_login(world.reader)
    for run, rows in ((small, 1), (large, 41)):
        with django_assert_num_queries(5):
            body = csv_text(client.get(f"/backoffice/facturation/{run.pk}/factures.csv"))
        assert len(body.splitlines()) == rows + 1


def make_payment(world, invoice, *, status=PaymentStatus.PAID, paid_at=None, **fields):
    return Payment.objects.create(
        authority=world.ccfi,
        invoice=invoice,
        account=invoice.account,
        gateway="sandbox",
        status=status,
        method=fields.pop("method", "carte"),
        amount_cents=invoice.total_cents,
        paid_at=paid_at,
        order_id=fields.pop("order_id", f"OP{paid_at:%d%H}" if paid_at else ""),
        transaction_id=fields.pop("transaction_id", "T-2023-0001"),
    )


def test_the_payments_received_between_two_dates(client, world, django_capture_on_commit_callbacks):
    run = launch(world, django_capture_on_commit_callbacks, kind="reelle")
    invoice = run.invoices.get()
    make_payment(world, invoice, paid_at=at(20, hour=23))  # 23:05 Paris, still the 20th
    make_payment(world, invoice, status=PaymentStatus.REFUSED, paid_at=None)
    client.force_login(world.reader)
    page = unescape(client.get(PAYMENTS).content.decode())
    assert "Règlements reçus" in page and 'type="date"' in page
    response = client.get(PAYMENTS + "export.csv", {"start": "2023-07-01", "end": "2023-07-20"})
    assert response["Content-Disposition"] == (
        'attachment; filename="reglements-20230701-20230720.csv"'
    )
    assert csv_text(response).splitlines() == [
        "\ufeffDate du règlement;Heure;Numéro de facture;Code usager;Montant;Moyen de paiement;"
        "Référence de la transaction;Service de paiement;Identifiant de l'opération",
        "20/07/2023;23:05;2300240000001;00001;102,30;Carte bancaire;T-2023-0001;"
        "Bac à sable (aucun paiement réel);OP2023",
    ]
    body = csv_text(
        client.get(PAYMENTS + "export.csv", {"start": "2023-07-21", "end": "2023-12-31"})
    )
    assert len(body.splitlines()) == 1


@pytest.mark.parametrize(
    "params, name, message",
    [
        ({"start": "2023-07-20", "end": "2023-07-01"}, "end", "ne peut pas précéder"),
        ({"start": "hier", "end": "2023-07-01"}, "start", "Saisissez une date valide"),
        ({"end": "2023-07-01"}, "start", "Indiquez la date."),
    ],
)
def test_bad_dates_are_refused_on_the_page_next_to_their_field(
    client, world, params, name, message
):
    client.force_login(world.reader)
    response = client.get(PAYMENTS + "export.csv", params)
    assert response.status_code == 400
    page = unescape(response.content.decode())
    assert message in page.split(f'id="id_{name}_error">')[1].split("</p>")[0]


def test_the_payments_export_reads_in_a_fixed_number_of_queries_and_only_its_authority(
    client, world, django_capture_on_commit_callbacks, django_assert_num_queries
):
    make_households(world.ccfi, 5, lifts=0)
    run = launch(world, django_capture_on_commit_callbacks, kind="reelle")
    params = {"start": "2023-07-01", "end": "2023-07-31"}
    client.force_login(world.reader)
    invoices = list(run.invoices.all())
    make_payment(world, invoices[0], paid_at=at(3))
    with django_assert_num_queries(4):
        assert len(csv_text(client.get(PAYMENTS + "export.csv", params)).splitlines()) == 2
    for n, invoice in enumerate(invoices[1:], start=4):
        make_payment(world, invoice, paid_at=at(n))
    with django_assert_num_queries(4):
        assert len(csv_text(client.get(PAYMENTS + "export.csv", params)).splitlines()) == 7
    client.force_login(world.outsider)
    assert len(csv_text(client.get(PAYMENTS + "export.csv", params)).splitlines()) == 1
    for user in (world.resident, None):
        client.logout()
        if user:
            client.force_login(user)
        response = client.get(PAYMENTS + "export.csv", params)
        assert response["Location"].startswith("/backoffice/connexion/")
