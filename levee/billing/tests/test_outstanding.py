"""« Restes à recouvrer »: the invoices still due after their due date, by age band with
counts and totals, filtered by band, minimum amount and commune, paginated, each linked to
its account, and their CSV; only for the roles that bill, only the agent's authority."""

import csv
import datetime
import io
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from levee.agents.models import Agent
from levee.agents.roles import AgentRole
from levee.authorities.models import Commune
from levee.billing.models import InvoiceStatus
from levee.billing.selectors_dunning import AGE_BANDS, age_band_of
from levee.payments.models import DebitSchedule, Mandate, ScheduledDebit
from levee.treasury.models import CollectionMode, PublicAccountingSettings
from testkit import ccfi_world, make_account, make_user, pilat_world

from .factories import make_invoice

pytestmark = pytest.mark.django_db
URL = "/backoffice/facturation/restes-a-recouvrer/"
CSV_URL = URL + "export.csv"


def text(response) -> str:
    return " ".join(unescape(response.content.decode()).split())


def ago(days: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=days)


def overdue(account, number: str, days: int, cents: int, **fields):
    """An invoice due `days` ago (issued 30 days before its due date)."""
    due = ago(days)
    return make_invoice(
        account,
        number=number,
        issued_on=due - datetime.timedelta(days=30),
        due_on=due,
        total_cents=cents,
        **fields,
    )


@pytest.fixture
def world(db):
    ccfi, dupont = ccfi_world()
    hazebrouck = Commune.objects.get(insee="59295")
    durand = make_account(
        ccfi, code="00002", portal_key="PKDURAND", last_name="DURAND", commune=hazebrouck
    )
    agents = {
        role: Agent.objects.create(
            authority=ccfi, user=make_user(f"{role}@flandre.example.org"), role=role
        )
        for role in AgentRole
    }
    invoices = {
        "a": overdue(dupont, "2400240000001", 5, 8794),  # moins de 30 jours
        "b": overdue(dupont, "2400240000002", 45, 12000),  # 30 à 90 jours
        "c": overdue(durand, "2400240000003", 120, 3050),  # 90 à 180 jours
        "d": overdue(durand, "2400240000004", 400, 15000),  # plus de 180 jours
    }
    # Not listed: paid, cancelled, not yet due, due today, zero, a simulation.
    overdue(dupont, "2400240000010", 50, 5000, status=InvoiceStatus.PAID)
    overdue(dupont, "2400240000011", 50, 5000, status=InvoiceStatus.CANCELLED)
    overdue(dupont, "2400240000012", -3, 5000)
    overdue(dupont, "2400240000013", 0, 5000)
    overdue(dupont, "2400240000014", 50, 0)
    overdue(dupont, "", 50, 5000, status=InvoiceStatus.SIMULATED)
    # Another authority's unpaid invoice.
    pilat, pelussin = pilat_world()
    other = make_account(pilat, code="00001", portal_key="PKPILAT01", commune=pelussin)
    overdue(other, "2404200000001", 60, 99999)
    return {"ccfi": ccfi, "dupont": dupont, "durand": durand, "agents": agents, **invoices}


def login(client, world, role=AgentRole.FACTURATION):
    client.force_login(world["agents"][role].user)


def test_the_age_bands_count_and_total_the_unpaid_invoices(client, world):
    login(client, world)
    response = client.get(URL)
    assert response.status_code == 200
    page = text(response)
    assert "Moins de 30 jours</a></th><td>1</td><td>87,94 €" in page
    assert "30 à 90 jours</a></th><td>1</td><td>120,00 €" in page
    assert "90 à 180 jours</a></th><td>1</td><td>30,50 €" in page
    assert "Plus de 180 jours</a></th><td>1</td><td>150,00 €" in page
    assert "Total</th><td><strong>4</strong></td><td><strong>388,44 €" in page
    assert "4 factures impayées." in page
    # Oldest first, each linked to its account; nothing paid, not yet due nor of Pilat.
    numbers = [n for n in ("0000004", "0000003", "0000002", "0000001") if n in page]
    assert page.index("2400240000004") < page.index("2400240000003") < page.index("2400240000001")
    assert len(numbers) == 4
    assert f'href="/backoffice/comptes/{world["durand"].pk}/"' in page
    assert f'href="/backoffice/comptes/{world["dupont"].pk}/"' in page
    for absent in ("2400240000010", "2400240000011", "2400240000012", "2400240000013"):
        assert absent not in page
    assert "2400240000014" not in page and "2404200000001" not in page
    assert "999,99" not in page


def test_the_band_edges_follow_the_days_overdue():
    assert [age_band_of(d).label for d in (1, 29, 30, 89, 90, 179, 180, 2000)] == [
        "moins de 30 jours",
        "moins de 30 jours",
        "30 à 90 jours",
        "30 à 90 jours",
        "90 à 180 jours",
        "90 à 180 jours",
        "plus de 180 jours",
        "plus de 180 jours",
    ]
    assert len(AGE_BANDS) == 4


def test_the_filters_narrow_the_list_and_its_totals(client, world):
    login(client, world)
    page = text(client.get(URL, {"anciennete": "30-a-90-jours"}))
    assert "2400240000002" in page and "2400240000001" not in page
    assert "1 facture impayée pour ces critères." in page

    page = text(client.get(URL, {"montant_min": "100"}))
    assert "2400240000002" in page and "2400240000004" in page
    assert "2400240000001" not in page and "2400240000003" not in page
    assert "Total</th><td><strong>2</strong></td><td><strong>270,00 €" in page

    hazebrouck = Commune.objects.get(insee="59295")
    page = text(client.get(URL, {"commune": hazebrouck.pk}))
    assert "2400240000003" in page and "2400240000004" in page
    assert "2400240000001" not in page

    page = text(client.get(URL, {"commune": hazebrouck.pk, "montant_min": "100,00"}))
    assert "2400240000004" in page and "2400240000003" not in page


@pytest.mark.parametrize(
    "params, field, message",
    [
        ({"montant_min": "douze"}, "montant_min", "Saisissez un montant en euros, par exemple"),
        ({"montant_min": "-5"}, "montant_min", "Le montant ne peut pas être négatif."),
        ({"anciennete": "1-jour"}, "anciennete", "Choisissez une ancienneté de la liste."),
        ({"commune": "abc"}, "commune", "Choisissez une commune de la liste."),
    ],
)
def test_a_bad_filter_is_told_next_to_its_field(client, world, params, field, message):
    login(client, world)
    response = client.get(URL, params)
    assert response.status_code == 400
    page = unescape(response.content.decode())
    assert message in page
    assert f'aria-describedby="id_{field}' in page or f'id="id_{field}_error' in page
    # The CSV refuses it the same way, with the page.
    response = client.get(CSV_URL, params)
    assert response.status_code == 400
    assert message in unescape(response.content.decode())


def test_a_commune_of_another_authority_is_not_a_choice(client, world):
    login(client, world)
    pelussin = Commune.objects.get(insee="42168")
    response = client.get(URL, {"commune": pelussin.pk})
    assert response.status_code == 400
    assert "Choisissez une commune de la liste." in unescape(response.content.decode())


def test_the_csv_has_french_headers_amounts_and_dates(client, world):
    login(client, world)
    response = client.get(CSV_URL, {"montant_min": "50"})
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff")), delimiter=";"))
    assert rows[0] == [
        "Numéro",
        "Date facture",
        "Date d'échéance",
        "Jours de retard",
        "Ancienneté",
        "Code usager",
        "Payeur",
        "Commune",
        "Montant TTC",
        "Prélèvement en cours",
    ]
    assert [r[0] for r in rows[1:]] == ["2400240000004", "2400240000002", "2400240000001"]
    oldest = rows[1]
    assert oldest[2] == ago(400).strftime("%d/%m/%Y")
    assert oldest[3:] == [
        "400",
        "plus de 180 jours",
        "00002",
        "M DURAND Pierre",
        "Hazebrouck",
        "150,00",
        "non",
    ]
    assert rows[3][8] == "87,94"


def test_a_debited_invoice_is_listed_and_marked_so(client, world):
    mandate = Mandate.objects.create(
        authority=world["ccfi"],
        account=world["dupont"],
        rum="RUM-00240-00001-1",
        creditor_identifier="FR12ZZZ123456",
        schedule=DebitSchedule.MONTHLY,
        holder_name="Pierre DUPONT",
        iban="FR7630006000011234567890189",
        bic="AGRIFRPPXXX",
        signed_on=datetime.date(2023, 6, 1),
    )
    ScheduledDebit.objects.create(
        authority=world["ccfi"],
        mandate=mandate,
        invoice=world["b"],
        due_on=timezone.localdate() + datetime.timedelta(days=3),
        amount_cents=12000,
    )
    login(client, world)
    page = text(client.get(URL))
    assert page.count("Prélèvement en cours") == 1
    body = b"".join(client.get(CSV_URL).streaming_content).decode("utf-8")
    assert "2400240000002;" in body and body.split("2400240000002;")[1].split("\r\n")[0].endswith(
        ";oui"
    )


def test_the_page_reads_in_a_constant_number_of_queries(client, world):
    login(client, world)
    client.get(URL)  # warm the session and the agent's caches
    with CaptureQueriesContext(connection) as few:
        assert client.get(URL).status_code == 200
    for n in range(20):
        overdue(world["durand"], f"24002400001{n:02d}", 10 + n, 1000 + n)
    with CaptureQueriesContext(connection) as many:
        assert client.get(URL).status_code == 200
    assert len(many) == len(few)


def test_it_paginates_and_keeps_the_filters_in_the_links(client, world):
    for n in range(60):
        overdue(world["durand"], f"24002400002{n:02d}", 200 + n, 2000)
    login(client, world)
    page = text(client.get(URL, {"montant_min": "10"}))
    assert "Page 1 sur 2" in page
    assert "?montant_min=10&amp;page=2" in page or "?montant_min=10&page=2" in page
    page = text(client.get(URL, {"montant_min": "10", "page": "2"}))
    assert "Page 2 sur 2" in page


@pytest.mark.parametrize("role", list(AgentRole))
def test_only_the_billing_roles_read_it(client, world, role):
    login(client, world, role)
    allowed = role in (AgentRole.FACTURATION, AgentRole.ADMINISTRATEUR)
    assert client.get(URL).status_code == (200 if allowed else 403)
    assert client.get(CSV_URL).status_code == (200 if allowed else 403)
    billing_page = text(client.get("/backoffice/facturation/"))
    assert ("Restes à recouvrer" in billing_page) == allowed


def test_a_resident_or_nobody_is_kept_out(client, world):
    assert client.get(URL).status_code == 302
    client.force_login(make_user("marie@example.org"))
    assert client.get(URL).status_code in (302, 403)


def test_in_pes_mode_the_page_says_the_authority_follows_up(client, world):
    PublicAccountingSettings.objects.create(
        authority=world["ccfi"], collection_mode=CollectionMode.PES
    )
    login(client, world)
    page = text(client.get(URL))
    assert "le comptable public les recouvre, mais leur suivi reste à la collectivité" in page
    assert "2400240000004" in page
