"""Billing runs in the back office: a simulation and a real run launched from the form, the
run's page with its progress, totals and invoices, an invoice's lines, resuming a failed
run, and the account's invoices on its page."""

import datetime
from html import unescape

import pytest
from django.utils import timezone

from levee.agents.roles import AgentRole
from levee.audit.models import AuditEntry
from levee.billing.models import BillingRun, Invoice, RunStatus
from levee.billing.tests.billing_builders import make_households
from levee.billing.tests.bo_world import bo_world, launch

pytestmark = pytest.mark.django_db

RUNS = "/backoffice/facturation/"
DEC_31 = datetime.date(2023, 12, 31)


@pytest.fixture
def world():
    return bo_world()


def text(response) -> str:
    return unescape(response.content.decode())


def run_post(**fields) -> dict:
    data = {"kind": "simulation", "year": "2023", "period": "annee", "issued_on": "2023-07-02"}
    data.update(fields)
    return data


def post_run(client, capture, **fields):
    with capture(execute=True):
        return client.post(RUNS + "nouvelle/", run_post(**fields))


@pytest.mark.parametrize("role", list(AgentRole))
def test_every_role_reads_the_runs_with_their_totals(
    client, world, role, django_capture_on_commit_callbacks
):
    launch(world, django_capture_on_commit_callbacks)
    client.force_login(world.agents[role].user)
    page = text(client.get(RUNS))
    assert "Facture à blanc" in page and "2023" in page and "Terminée" in page
    assert "102,30\u00a0€" in page
    assert ("Lancer une facturation" in page) == (
        role in (AgentRole.FACTURATION, AgentRole.ADMINISTRATEUR)
    )


def test_a_billing_agent_runs_a_simulation_and_reads_its_invoices(
    client, world, django_capture_on_commit_callbacks
):
    client.force_login(world.biller)
    response = post_run(client, django_capture_on_commit_callbacks)
    run = BillingRun.objects.get()
    assert response["Location"] == f"{RUNS}{run.pk}/"
    assert (run.kind, run.status, run.label, run.created_by) == (
        "simulation",
        RunStatus.DONE,
        "2023",
        world.biller,
    )
    invoice = Invoice.objects.get()
    assert (invoice.number, invoice.status, invoice.total_cents) == ("", "a_blanc", 10230)
    assert AuditEntry.objects.get(action="billing_run.create").after["kind"] == "simulation"
    page = text(client.get(response["Location"]))
    assert "Facture à blanc — 2023 lancée." in page
    assert "Facture à blanc — 2023" in page and "État : <strong>Terminée</strong>" in page
    assert "1 facture sur 1 abonnement à facturer." in page
    assert "Total HT</dt><dd>93,00\u00a0€" in page and "Total TTC</dt><dd>102,30\u00a0€" in page
    assert "à blanc" in page and "00001" in page and "DUPONT" in page
    page = text(client.get(f"{RUNS}factures/{invoice.pk}/"))
    assert "Facture à blanc — " in page
    assert "Lignes de la facture" in page and "8 levées supplémentaires" in page.lower()
    assert "TVA (10\u00a0%)</th><td>9,30\u00a0€" in page


def test_a_real_run_needs_its_confirmation_then_numbers_the_invoices(
    client, world, django_capture_on_commit_callbacks
):
    client.force_login(world.biller)
    response = post_run(client, django_capture_on_commit_callbacks, kind="reelle")
    assert response.status_code == 400
    page = text(response)
    assert 'id="id_confirm_error"' in page and "Cochez la confirmation" in page
    assert not BillingRun.objects.exists()
    response = post_run(client, django_capture_on_commit_callbacks, kind="reelle", confirm="on")
    assert response.status_code == 302
    invoice = Invoice.objects.get()
    assert (invoice.number, invoice.status) == ("2300240000001", "a_regler")
    page = text(client.get(response["Location"]))
    assert "Facturation réelle — 2023" in page and "2300240000001" in page


def test_a_half_year_run_bills_its_half(client, world, django_capture_on_commit_callbacks):
    client.force_login(world.biller)
    post_run(client, django_capture_on_commit_callbacks, period="s2", issued_on="2023-12-31")
    run = BillingRun.objects.get()
    assert run.label == "2e semestre 2023" and str(run.period_start) == "2023-07-01"


def test_what_cannot_be_billed_is_said_on_the_form(
    client, world, django_capture_on_commit_callbacks
):
    client.force_login(world.biller)
    response = post_run(client, django_capture_on_commit_callbacks, year="2030")
    assert response.status_code == 400
    assert "Aucune grille tarifaire n'est en vigueur pour 2030." in text(response)
    assert 'role="alert"' in text(response)
    assert not BillingRun.objects.exists()


BAD_INPUT = [
    ({"kind": ""}, "kind", "Choisissez : facture à blanc ou facturation réelle."),
    ({"kind": "gratuite"}, "kind", ""),
    ({"period": "t3"}, "period", "Période inconnue."),
    ({"year": "deux mille"}, "year", "quatre chiffres"),
    ({"issued_on": "31/02/2023"}, "issued_on", "Saisissez une date valide"),
    ({"issued_on": ""}, "issued_on", "Indiquez la date."),
    ({"due_on": "2023-07-01"}, "due_on", "L'échéance ne peut pas précéder la date des factures."),
]


@pytest.mark.parametrize("fields, name, message", BAD_INPUT)
def test_bad_input_is_refused_next_to_its_field(
    client, world, fields, name, message, django_capture_on_commit_callbacks
):
    client.force_login(world.biller)
    response = post_run(client, django_capture_on_commit_callbacks, **fields)
    assert response.status_code == 400
    page = text(response)
    assert f'id="id_{name}_error">' in page
    assert message in page.split(f'id="id_{name}_error">')[1].split("</p>")[0]
    assert not BillingRun.objects.exists()


def failed_run(world, capture):
    """A run whose execution died: it is « Échec » with no invoice yet."""
    run = launch(world, capture, kind="reelle", execute=False)
    BillingRun.objects.filter(pk=run.pk).update(
        status=RunStatus.FAILED, message="La facturation s'est arrêtée sur une erreur."
    )
    return run


def test_a_failed_run_is_resumed_once(client, world, django_capture_on_commit_callbacks):
    run = failed_run(world, django_capture_on_commit_callbacks)
    client.force_login(world.reader)
    page = text(client.get(f"{RUNS}{run.pk}/"))
    assert "État : <strong>Échec</strong>" in page and "Reprendre" not in page
    client.force_login(world.biller)
    page = text(client.get(f"{RUNS}{run.pk}/"))
    assert "s'est arrêtée sur une erreur" in page and "Reprendre la facturation" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{RUNS}{run.pk}/reprendre/")
    assert response["Location"] == f"{RUNS}{run.pk}/"
    run.refresh_from_db()
    assert run.status == RunStatus.DONE
    assert Invoice.objects.get().number == "2300240000001"
    assert AuditEntry.objects.get(action="billing_run.resume").actor == world.biller
    page = text(client.get(response["Location"]))
    assert "La facturation reprend là où elle s'était arrêtée." in page
    response = client.post(f"{RUNS}{run.pk}/reprendre/", follow=True)
    assert "ne peut pas être reprise : elle n'est ni en échec ni arrêtée" in text(response)
    assert AuditEntry.objects.filter(action="billing_run.resume").count() == 1


def test_the_progress_part_is_served_alone_and_never_cached(
    client, world, django_capture_on_commit_callbacks
):
    run = launch(world, django_capture_on_commit_callbacks, execute=False)
    client.force_login(world.reader)
    response = client.get(f"{RUNS}{run.pk}/progression/")
    assert response["Cache-Control"] == "no-store"
    page = text(response)
    assert 'data-running="true"' in page and "En attente" in page and "<h1" not in page
    assert "Actualiser la page" in page


def test_another_authority_s_agent_gets_404_and_others_the_login(
    client, world, django_capture_on_commit_callbacks
):
    run = launch(world, django_capture_on_commit_callbacks)
    invoice = Invoice.objects.get()
    urls = [
        f"{RUNS}{run.pk}/",
        f"{RUNS}{run.pk}/progression/",
        f"{RUNS}{run.pk}/factures.csv",
        f"{RUNS}factures/{invoice.pk}/",
    ]
    client.force_login(world.outsider)
    for url in urls:
        assert client.get(url).status_code == 404, url
    BillingRun.objects.filter(pk=run.pk).update(status=RunStatus.FAILED)
    assert client.post(f"{RUNS}{run.pk}/reprendre/").status_code == 404
    assert "2023" not in text(client.get(RUNS)).split("<h1>")[1]
    for user in (world.resident, None):
        client.logout()
        if user:
            client.force_login(user)
        for url in [*urls, RUNS, RUNS + "nouvelle/"]:
            assert client.get(url)["Location"].startswith("/backoffice/connexion/"), url
        assert client.post(f"{RUNS}{run.pk}/reprendre/").status_code == 302
    assert BillingRun.objects.get().status == RunStatus.FAILED
    assert not AuditEntry.objects.filter(action="billing_run.resume").exists()


def test_the_runs_page_costs_the_same_queries_whatever_its_runs(
    client, world, django_capture_on_commit_callbacks, django_assert_num_queries
):
    launch(world, django_capture_on_commit_callbacks)
    client.force_login(world.reader)
    client.get(RUNS)
    with django_assert_num_queries(5):
        client.get(RUNS)
    for _ in range(3):
        launch(world, django_capture_on_commit_callbacks, half=2, issued_on=DEC_31)
    with django_assert_num_queries(5):
        client.get(RUNS)


def test_a_run_s_page_costs_the_same_queries_whatever_its_invoices(
    client, world, django_capture_on_commit_callbacks, django_assert_num_queries
):
    small = launch(world, django_capture_on_commit_callbacks)
    make_households(world.ccfi, 30, lifts=3)
    large = launch(world, django_capture_on_commit_callbacks, half=1)
    assert large.invoices.count() == 31
    client.force_login(world.reader)
    client.get(f"{RUNS}{small.pk}/")
    with django_assert_num_queries(7):
        client.get(f"{RUNS}{small.pk}/")
    with django_assert_num_queries(7):
        page = text(client.get(f"{RUNS}{large.pk}/"))
    assert page.count("/backoffice/facturation/factures/") == 31


def test_the_account_page_lists_its_invoices(client, world, django_capture_on_commit_callbacks):
    launch(world, django_capture_on_commit_callbacks)
    launch(world, django_capture_on_commit_callbacks, kind="reelle")
    invoice = Invoice.objects.get(number="2300240000001")
    client.force_login(world.agents[AgentRole.ACCUEIL].user)
    page = text(client.get(f"/backoffice/comptes/{world.account.pk}/"))
    section = page.split('id="account-invoices"')[1]
    assert f'href="/backoffice/facturation/factures/{invoice.pk}/">2300240000001' in section
    assert "à blanc" in section and "102,30\u00a0€" in section and "À régler" in section


def test_a_run_whose_worker_died_is_offered_again_after_ten_minutes(
    client, world, django_capture_on_commit_callbacks
):
    run = launch(world, django_capture_on_commit_callbacks, execute=False)
    BillingRun.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING)
    client.force_login(world.biller)
    page = text(client.get(f"{RUNS}{run.pk}/"))
    assert "Reprendre la facturation" not in page
    response = client.post(f"{RUNS}{run.pk}/reprendre/", follow=True)
    assert "ni en échec ni arrêtée" in text(response)

    BillingRun.objects.filter(pk=run.pk).update(
        updated_at=timezone.now() - datetime.timedelta(minutes=11)
    )
    page = text(client.get(f"{RUNS}{run.pk}/"))
    assert "Aucun avancement depuis plus de 10 minutes" in page
    assert "Reprendre la facturation" in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"{RUNS}{run.pk}/reprendre/")
    run.refresh_from_db()
    assert run.status == RunStatus.DONE and run.invoices_done == run.subscriptions_total
    assert AuditEntry.objects.get(action="billing_run.resume").before["status"] == "en_cours"
