"""Issue 12, item 9: a real run over a period that is not over says which days are not
elapsed (their lifts are not billed) and starts only once the agent confirms; a
« Facture à blanc » never asks; `manage.py billing_run` prints the same sentence and goes
on."""

from html import unescape
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from levee.billing.models import BillingRun, RunKind
from levee.billing.services import billing_period_unfinished
from levee.billing.tariffs import tariff_version_create
from levee.billing.tests.bo_world import PLANS, bo_world

pytestmark = pytest.mark.django_db

NEW = "/backoffice/facturation/nouvelle/"


@pytest.fixture
def world():
    world = bo_world()
    tariff_version_create(
        authority=world.ccfi,
        year=timezone.localdate().year,
        vat_rate_bp=1000,
        plans=PLANS,
        note="",
        agent_user=world.admin,
    )
    return world


def sentence() -> str:
    today = timezone.localdate()
    return (
        f"La période n'est pas terminée : du {today:%d/%m/%Y} au 31/12/{today.year}, les jours "
        "ne sont pas encore écoulés et leurs levées ne seront pas facturées."
    )


def this_year(**fields) -> dict:
    today = timezone.localdate()
    data = {
        "kind": "reelle",
        "year": str(today.year),
        "period": "annee",
        "issued_on": today.isoformat(),
        "confirm": "on",
    }
    data.update(fields)
    return data


def text(response) -> str:
    return " ".join(unescape(response.content.decode()).split())


def test_the_sentence_names_the_days_not_elapsed():
    today = timezone.localdate()
    assert billing_period_unfinished(period_end=today.replace(month=12, day=31), today=today) == (
        sentence()
    )
    assert (
        billing_period_unfinished(period_end=today.replace(year=today.year - 1), today=today) == ""
    )


def test_a_real_run_over_an_unfinished_period_asks_first(
    client, world, django_capture_on_commit_callbacks
):
    client.force_login(world.biller)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(NEW, this_year())
    assert response.status_code == 200
    page = text(response)
    assert sentence() in page
    assert "Confirmer la facturation réelle" in page
    assert not BillingRun.objects.exists()


def test_confirming_starts_the_real_run(client, world, django_capture_on_commit_callbacks):
    client.force_login(world.biller)
    confirmed = f"{timezone.localdate().year}-12-31"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(NEW, this_year(unfinished_confirmed=confirmed))
    assert response.status_code == 302
    assert BillingRun.objects.get().kind == RunKind.REAL


def test_a_confirmation_of_another_period_does_not_count(
    client, world, django_capture_on_commit_callbacks
):
    client.force_login(world.biller)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(NEW, this_year(unfinished_confirmed="2023-12-31"))
    assert sentence() in text(response)
    assert not BillingRun.objects.exists()


def test_a_simulation_never_asks(client, world, django_capture_on_commit_callbacks):
    client.force_login(world.biller)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(NEW, this_year(kind="simulation", confirm=""))
    assert response.status_code == 302
    assert BillingRun.objects.get().kind == RunKind.SIMULATION


def test_a_real_run_over_a_past_period_does_not_ask(
    client, world, django_capture_on_commit_callbacks
):
    client.force_login(world.biller)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(NEW, this_year(year="2023", issued_on="2024-01-15"))
    assert response.status_code == 302


def test_the_command_prints_the_sentence_and_goes_on(world):
    out = StringIO()
    call_command(
        "billing_run",
        "--authority",
        "flandre-interieure",
        "--year",
        str(timezone.localdate().year),
        stdout=out,
    )
    assert sentence() in out.getvalue()
    assert BillingRun.objects.get().kind == RunKind.REAL


def test_the_command_says_nothing_of_it_for_a_simulation(world):
    out = StringIO()
    call_command(
        "billing_run",
        "--authority",
        "flandre-interieure",
        "--year",
        str(timezone.localdate().year),
        "--simulation",
        stdout=out,
    )
    assert "La période n'est pas terminée" not in out.getvalue()
