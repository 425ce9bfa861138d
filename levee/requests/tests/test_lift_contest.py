"""« Contester une levée »: from a lift of « Mes bacs/levées », only one of the account's;
a reason and a message; the agent answers, and may cancel the lift (deleted, its values
kept in the audit log)."""

import datetime

import pytest
from django.utils import timezone

from levee.audit.models import AuditEntry
from levee.collection.models import Lift
from levee.collection.tests.conftest import make_bin
from levee.mailing.models import OutboxMessage
from levee.requests import services
from levee.requests.kinds.base import ApplyRefused
from levee.requests.models import RequestMessage, RequestStatus, ServiceRequest

from .conftest import BO, plain, submit, text

pytestmark = pytest.mark.django_db

CONTEST = "/flandre-interieure/espace/mes-services/contester-une-levee/"


def make_lift(bin, day: int, grams: int = 12500) -> Lift:
    return Lift.objects.create(
        authority_id=bin.authority_id,
        bin=bin,
        lifted_at=timezone.make_aware(datetime.datetime(2024, 3, day, 6, 12)),
        net_weight_grams=grams,
        vehicle="BOM-12",
    )


@pytest.fixture
def lifts(world):
    bin = make_bin(world.account, chip="E0040001", volume=140)
    other = make_bin(world.neighbour_account, chip="E0049999")
    return {
        "mine": make_lift(bin, 5),
        "second": make_lift(bin, 12),
        "neighbour": make_lift(other, 5),
    }


def post(**overrides) -> dict:
    data = {"reason": "non_sorti", "message": "Mon bac était au garage ce jour-là."}
    data.update(overrides)
    return data


def test_each_lift_of_mes_bacs_levees_has_its_contest_link(client, resident, lifts):
    page = text(client.get("/flandre-interieure/espace/mes-bacs-levees/?annee=2024"))
    for lift in (lifts["mine"], lifts["second"]):
        assert f'href="{CONTEST}?levee={lift.pk}"' in page
    assert f"?levee={lifts['neighbour'].pk}" not in page
    assert 'Contester<span class="sr-only"> la levée du 05/03/2024 à 06:12</span>' in page


def test_the_form_shows_the_lift_it_contests(client, resident, lifts):
    page = plain(client.get(f"{CONTEST}?levee={lifts['mine'].pk}"))
    assert "Contester une levée" in page
    assert (
        "Levée contestée : 05/03/2024 à 06:12 — Ordures ménagères 140 L — puce E0040001 — 12,5 kg"
        in page
    )
    assert 'href="/flandre-interieure/espace/mes-bacs-levees/">Précédent' in text(
        client.get(f"{CONTEST}?levee={lifts['mine'].pk}")
    )


@pytest.mark.parametrize(
    "query", ["", "?levee=", "?levee=abc", "?levee=-1", "?levee=99999999999999999999999"]
)
def test_no_lift_or_junk_is_a_404(client, resident, lifts, query):
    assert client.get(f"{CONTEST}{query}").status_code == 404
    assert client.post(f"{CONTEST}{query}", post()).status_code == 404


def test_a_lift_of_another_account_is_a_404_and_nothing_is_asked(client, resident, lifts):
    url = f"{CONTEST}?levee={lifts['neighbour'].pk}"
    assert client.get(url).status_code == 404
    assert client.post(url, post()).status_code == 404
    assert not ServiceRequest.objects.exists()


def test_valider_makes_a_request_about_that_lift(client, resident, lifts):
    response = client.post(f"{CONTEST}?levee={lifts['mine'].pk}", post(), follow=True)
    assert "Votre demande « Contestation d'une levée » est enregistrée" in plain(response)
    service_request = ServiceRequest.objects.get()
    assert service_request.subject == str(lifts["mine"].pk)
    assert service_request.requested["reason"] == "non_sorti"
    # Another lift may be contested while the first waits; the same one may not.
    client.post(f"{CONTEST}?levee={lifts['second'].pk}", post())
    response = client.post(f"{CONTEST}?levee={lifts['mine'].pk}", post(message="Encore."))
    assert "Vous avez déjà une demande « Contestation d'une levée »" in plain(response)
    assert ServiceRequest.objects.count() == 2


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({"reason": ""}, "reason", "Choisissez le motif de la contestation."),
        ({"reason": "<script>"}, "reason", "Sélectionnez un choix valide"),
        ({"message": " "}, "message", "Expliquez pourquoi vous contestez cette levée."),
        ({"message": "x" * 5001}, "message", "au plus 5000 caractères"),
    ],
)
def test_bad_input_is_refused_in_french(client, resident, lifts, overrides, field, message):
    response = client.post(f"{CONTEST}?levee={lifts['mine'].pk}", post(**overrides))
    assert message in text(response) and f"id_{field}_error" in text(response)
    assert not ServiceRequest.objects.exists()


def test_accepting_with_cancel_deletes_the_lift_and_audits_its_values(world, lifts):
    lift = lifts["mine"]
    service_request = submit(world, "lift_contest", post(), subject=lift)
    services.service_request_accept(
        service_request=service_request,
        agent_user=world.ccfi_agent,
        decision={"cancel_lift": True, "message": "Levée annulée, toutes nos excuses."},
    )
    assert not Lift.objects.filter(pk=lift.pk).exists()
    assert Lift.objects.filter(pk=lifts["second"].pk).exists()
    audit = AuditEntry.objects.get()
    deleted = audit.after["applied"]["lift_deleted"]
    assert deleted["id"] == lift.pk and deleted["net_weight_grams"] == 12500
    assert deleted["vehicle"] == "BOM-12" and deleted["lifted_at"].startswith("2024-03-05T")
    service_request.refresh_from_db()
    assert service_request.outcome == {"lift_cancelled": True}
    assert "Levée du 05/03/2024 à 06:12" in service_request.status_changes.last().note
    mail = OutboxMessage.objects.get(template="request_accepted")
    assert "la levée est annulée : elle ne compte plus" in mail.body_text
    assert "Levée annulée, toutes nos excuses." in mail.body_text


def test_accepting_without_cancel_keeps_the_lift(world, lifts):
    service_request = submit(world, "lift_contest", post(reason="poids"), subject=lifts["mine"])
    services.service_request_accept(
        service_request=service_request,
        agent_user=world.ccfi_agent,
        decision={"cancel_lift": False, "message": "Le poids est celui pesé par le camion."},
    )
    assert Lift.objects.filter(pk=lifts["mine"].pk).exists()
    assert AuditEntry.objects.get().after["applied"]["cancelled"] is False


def test_cancelling_a_lift_already_gone_is_refused(world, lifts):
    service_request = submit(world, "lift_contest", post(), subject=lifts["mine"])
    Lift.objects.filter(pk=lifts["mine"].pk).delete()
    with pytest.raises(ApplyRefused, match="Cette levée n'existe plus"):
        services.service_request_accept(
            service_request=service_request,
            agent_user=world.ccfi_agent,
            decision={"cancel_lift": True},
        )
    assert ServiceRequest.objects.get().status == RequestStatus.PENDING


def test_the_agent_answers_in_the_thread_and_the_resident_reads_it(client, world, lifts):
    service_request = submit(world, "lift_contest", post(), subject=lifts["mine"])
    client.force_login(world.ccfi_agent)
    page = plain(client.get(f"{BO}{service_request.pk}/"))
    assert "Motif Mon bac n'était pas sorti ce jour-là" in page
    assert "Annuler cette levée : elle est supprimée et ne compte plus" in page
    client.post(f"{BO}{service_request.pk}/complement/", {"body": "Avez-vous une photo ?"})
    client.force_login(world.resident)
    detail = f"/flandre-interieure/espace/suivi-de-mes-demandes/{service_request.pk}/"
    client.post(f"{detail}repondre/", {"body": "Non, mais le voisin peut en témoigner."})
    client.force_login(world.ccfi_agent)
    response = client.post(
        f"{BO}{service_request.pk}/accepter/",
        {"cancel_lift": "on", "message": "Levée annulée."},
        follow=True,
    )
    assert "Demande acceptée : l'usager en est informé par email." in plain(response)
    assert not Lift.objects.filter(pk=lifts["mine"].pk).exists()
    client.force_login(world.resident)
    page = plain(client.get(detail))
    assert "Statut : ACCEPTÉ" in page
    assert [m.body for m in RequestMessage.objects.order_by("pk")] == [
        "Avez-vous une photo ?",
        "Non, mais le voisin peut en témoigner.",
        "Levée annulée.",
    ]
    assert "Levée annulée." in page
    # The contested lift stays readable in the request, though it is gone.
    assert "Levée contestée 05/03/2024 à 06:12" in page


def test_the_lift_gone_is_shown_to_the_agent_as_changed(client, world, lifts):
    service_request = submit(world, "lift_contest", post(), subject=lifts["mine"])
    Lift.objects.filter(pk=lifts["mine"].pk).delete()
    client.force_login(world.ccfi_agent)
    page = plain(client.get(f"{BO}{service_request.pk}/"))
    assert "Attention : des informations ont changé depuis la demande" in page
    assert "« vide » aujourd'hui" in page
