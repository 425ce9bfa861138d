"""« Mes factures » (flow 9): the published invoices of the selected account, the latest
facture à blanc, and the paperless choice."""

import datetime
import re
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from levee.agents.models import Agent
from levee.agents.roles import AgentRole
from levee.audit.models import AuditEntry
from levee.billing.models import InvoiceStatus, RunKind, RunStatus
from levee.subscribers.models import Account
from testkit import ccfi_world, make_account, make_user, pilat_world

from .factories import make_invoice, make_run, make_seed_invoice, make_simulation

pytestmark = pytest.mark.django_db

PAGE = "/flandre-interieure/espace/mes-factures/"


def text(response) -> str:
    return unescape(response.content.decode())


def rows(page: str) -> list[str]:
    body = page.split('<table class="invoices')[1].split("</table>")[0]
    body = re.sub(r"<(tr|td)\b[^>]*>", r"<\1>", body)  # the roles and labels of the cards aside
    return [re.sub(r"[ \t\n]+", " ", row) for row in body.split("<tr>")[2:]]


@pytest.fixture
def dupont(client):
    authority, account = ccfi_world()
    client.force_login(make_user("dupont59@gmail.com", accounts=[account]))
    return account


def test_it_lists_the_seed_invoice_as_the_tutorial_shows_it(client, dupont):
    invoice = make_seed_invoice(dupont)
    page = text(client.get(PAGE))
    assert "<h1>Mes factures</h1>" in page and "Je paie mes factures." in page
    for header in ["Date facture", "Référence", "Montant TTC", "Duplicata", "Règlement"]:
        assert re.search(f'<th scope="col"[^>]*>{header}</th>', page)
    (row,) = rows(page)
    assert "<td>02/07/2023</td> <td>2300240069928</td> <td>87,94\u00a0€</td>" in row
    assert f'href="{PAGE}{invoice.pk}/duplicata.pdf"' in row
    assert "duplicata de la facture 2300240069928 du 02/07/2023" in row
    assert 'href="/flandre-interieure/espace/">Précédent</a>' in page


def test_the_menu_and_the_home_lead_to_it(client, dupont):
    home = text(client.get("/flandre-interieure/espace/"))
    assert home.count(f'href="{PAGE}"') == 2  # the menu and the button
    assert home.index("Mes bacs/levées</a>") < home.index(f'href="{PAGE}"')
    assert f'href="{PAGE}" aria-current="page">Mes factures' in text(client.get(PAGE))


def test_it_lists_published_invoices_newest_first_and_nothing_else(client, dupont):
    make_invoice(
        dupont, number="2200240000001", issued_on=datetime.date(2022, 7, 1), total_cents=100
    )
    make_invoice(
        dupont, number="2300240000002", issued_on=datetime.date(2023, 7, 1), total_cents=200
    )
    make_invoice(
        dupont,
        number="2300240000003",
        issued_on=datetime.date(2023, 8, 1),
        total_cents=300,
        published=False,
    )
    make_invoice(
        dupont,
        number="2300240000004",
        issued_on=datetime.date(2023, 9, 1),
        total_cents=400,
        status=InvoiceStatus.CANCELLED,
    )
    make_invoice(
        dupont,
        number="",
        issued_on=datetime.date(2023, 10, 1),
        total_cents=500,
        status=InvoiceStatus.SIMULATED,
    )
    neighbour = make_account(dupont.authority, code="00002", portal_key="NEIGHBOR")
    make_invoice(
        neighbour, number="2300240000005", issued_on=datetime.date(2023, 7, 1), total_cents=600
    )
    numbers = [re.search(r"<td>(\d{13})</td>", row)[1] for row in rows(text(client.get(PAGE)))]
    assert numbers == ["2300240000002", "2200240000001"]


def test_a_paid_invoice_shows_its_date_of_payment(client, dupont):
    make_seed_invoice(
        dupont,
        status=InvoiceStatus.PAID,
        paid_at=datetime.datetime(2023, 7, 9, 10, tzinfo=datetime.UTC),
    )
    (row,) = rows(text(client.get(PAGE)))
    assert "09/07/2023" in row


def test_an_account_without_invoices_says_so(client, dupont):
    page = text(client.get(PAGE))
    assert "Aucune facture n'a encore été émise pour ce compte." in page
    assert '<table class="invoices">' not in page


def test_it_shows_the_invoices_of_the_selected_account_only(client):
    ccfi, first = ccfi_world()
    second = make_account(ccfi, code="00002", portal_key="SECONDKY")
    client.force_login(make_user("dupont59@gmail.com", accounts=[first, second]))
    make_invoice(
        first, number="2300240000001", issued_on=datetime.date(2023, 7, 1), total_cents=100
    )
    make_invoice(
        second, number="2300240000002", issued_on=datetime.date(2023, 7, 1), total_cents=200
    )
    assert "2300240000002" in text(client.get(PAGE + f"?compte={second.pk}"))
    page = text(client.get(PAGE))  # the selection is remembered
    assert "2300240000002" in page and "2300240000001" not in page
    page = text(client.get(PAGE + f"?compte={first.pk}"))
    assert "2300240000001" in page and "2300240000002" not in page


def test_it_is_paginated_newest_first(client, dupont):
    for n in range(15):
        make_invoice(
            dupont,
            number=f"23002400000{n:02d}",
            issued_on=datetime.date(2023, 1, 1) + datetime.timedelta(days=n),
            total_cents=1000 + n,
        )
    first = text(client.get(PAGE))
    assert len(rows(first)) == 12 and "Page 1 sur 2" in first
    assert "2300240000014" in first and "2300240000002" not in first
    second = text(client.get(PAGE + "?page=2"))
    assert len(rows(second)) == 3 and "2300240000000" in second
    assert len(rows(text(client.get(PAGE + "?page=abc")))) == 12  # junk: the first page


def test_the_page_takes_the_same_queries_whatever_the_number_of_invoices(client, dupont):
    def queries():
        client.get(PAGE)  # the first visit remembers the account in the session
        with CaptureQueriesContext(connection) as captured:
            assert client.get(PAGE).status_code == 200
        return len(captured)

    make_seed_invoice(dupont)
    one = queries()
    for n in range(20):
        make_invoice(
            dupont,
            number=f"22002400000{n:02d}",
            issued_on=datetime.date(2022, 7, 1),
            total_cents=100,
            status=InvoiceStatus.PAID if n % 2 else InvoiceStatus.OPEN,
        )
    run = make_run(dupont.authority, kind=RunKind.SIMULATION, year=2024)
    make_invoice(
        dupont,
        number="",
        issued_on=datetime.date(2024, 7, 1),
        total_cents=5000,
        status=InvoiceStatus.SIMULATED,
        run=run,
        lines=[(f"Ligne {n}", 1, 100, 100) for n in range(10)] + [("Reste", 1, 4000, 4000)],
    )
    assert queries() == one + 2  # the facture à blanc: its run and its invoice with lines


# --- The facture à blanc -----------------------------------------------------------------


def test_it_shows_the_latest_simulation_with_no_payment_asked(client, dupont):
    invoice = make_simulation(dupont)
    page = text(client.get(PAGE))
    section = page.split('aria-labelledby="facture-a-blanc"')[1].split("</section>")[0]
    assert "Facture à blanc — 2024" in section
    assert "Aucun paiement n'est demandé." in section
    assert "9 levées supplémentaires × 3,50 €" in section and "91,50\u00a0€" in section
    assert f'href="{PAGE}{invoice.pk}/duplicata.pdf"' in section
    assert "Aucune facture n'a encore été émise" in page  # it is not listed as an invoice


def test_no_simulation_shows_while_running_or_after_a_real_run(client, dupont):
    make_simulation(dupont, run_status=RunStatus.RUNNING)
    assert "Facture à blanc" not in text(client.get(PAGE))
    make_simulation(dupont, finished_at=datetime.datetime(2024, 1, 15, tzinfo=datetime.UTC))
    assert "Facture à blanc" in text(client.get(PAGE))
    make_run(
        dupont.authority, year=2024, finished_at=datetime.datetime(2024, 7, 2, tzinfo=datetime.UTC)
    )
    assert "Facture à blanc" not in text(client.get(PAGE))


def test_a_simulation_without_an_invoice_for_this_account_shows_nothing(client, dupont):
    neighbour = make_account(dupont.authority, code="00002", portal_key="NEIGHBOR")
    make_simulation(neighbour)
    assert "Facture à blanc" not in text(client.get(PAGE))


# --- Paperless -----------------------------------------------------------------------------


def test_the_resident_chooses_paperless_invoices_and_reads_the_date_back(client, dupont):
    page = text(client.get(PAGE))
    assert "Recevoir mes factures uniquement par email (facture dématérialisée)" in page
    assert "Choix enregistré le" not in page
    response = client.post(PAGE + f"?compte={dupont.pk}", {"paperless": "on"}, follow=True)
    page = text(response)
    assert "Votre choix est enregistré." in page
    dupont.refresh_from_db()
    assert dupont.paperless_invoices and dupont.paperless_updated_at is not None
    assert re.search(r"Choix enregistré le \d+ \w+ \d{4} à \d\d:\d\d\.", page)
    assert re.search(r'<input type="checkbox" name="paperless"[^>]* checked>', page)
    assert not AuditEntry.objects.exists()  # his own choice: not the agents' journal

    client.post(PAGE, {})  # unticked: paper again
    dupont.refresh_from_db()
    assert not dupont.paperless_invoices


def test_the_choice_goes_to_the_account_shown_on_the_form(client):
    ccfi, first = ccfi_world()
    second = make_account(ccfi, code="00002", portal_key="SECONDKY")
    client.force_login(make_user("dupont59@gmail.com", accounts=[first, second]))
    client.get(PAGE + f"?compte={first.pk}")
    client.post(PAGE + f"?compte={second.pk}", {"paperless": "on"})
    assert list(Account.objects.filter(paperless_invoices=True)) == [second]


def test_a_post_for_an_account_not_his_changes_nothing(client, dupont):
    neighbour = make_account(dupont.authority, code="00002", portal_key="NEIGHBOR")
    assert client.post(PAGE + f"?compte={neighbour.pk}", {"paperless": "on"}).status_code == 404
    assert client.post(PAGE + "?compte=abc", {"paperless": "on"}).status_code == 404
    assert not Account.objects.filter(paperless_invoices=True).exists()


def test_an_agent_acting_on_behalf_records_the_choice_in_the_journal(client, dupont):
    jeanne = make_user("jeanne.leroy@flandre.example.org")
    Agent.objects.create(authority=dupont.authority, user=jeanne, role=AgentRole.ACCUEIL)
    client.force_login(jeanne)
    assert client.post(f"/backoffice/comptes/{dupont.pk}/ouvrir-espace/").status_code == 302
    page = text(client.get(PAGE))
    assert "Vous agissez pour le compte de" in page
    client.post(PAGE, {"paperless": "on"})
    dupont.refresh_from_db()
    assert dupont.paperless_invoices
    entry = AuditEntry.objects.get(action="account.paperless_update")
    assert entry.actor == jeanne and entry.object_id == str(dupont.pk)
    assert entry.before == {"paperless_invoices": False}
    assert entry.after == {"paperless_invoices": True}


# --- Who reaches it -------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_log_in(client, db):
    ccfi_world()
    response = client.get(PAGE)
    assert response.status_code == 302 and "connexion" in response["Location"]


def test_a_person_without_an_account_there_gets_a_404(client, dupont):
    pilat, pelussin = pilat_world()
    other = make_account(pilat, code="10042", portal_key="VZKRTQPM", commune=pelussin)
    make_seed_invoice(dupont)
    client.force_login(make_user("pilat@example.org", accounts=[other]))
    assert client.get(PAGE).status_code == 404
    agent = make_user("agent.pilat@example.org")
    Agent.objects.create(authority=pilat, user=agent, role=AgentRole.ADMINISTRATEUR)
    client.force_login(agent)
    assert client.get(PAGE).status_code == 404
    assert client.get("/pilat-rhodanien/espace/mes-factures/").status_code == 404
