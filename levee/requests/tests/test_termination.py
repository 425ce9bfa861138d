"""« Je résilie mon abonnement »: date, reason and proof; acceptance ends the subscription
at that date (and takes its bins out); one already ended refuses the acceptance."""

import datetime

import pytest

from levee.audit.models import AuditEntry
from levee.collection.tests.conftest import make_bin
from levee.requests import services
from levee.requests.kinds.base import ApplyRefused
from levee.requests.models import RequestStatus, ServiceRequest
from levee.subscribers.models import Subscription
from testkit import proof_upload

from .conftest import BO, plain, submit, termination_post, text

pytestmark = pytest.mark.django_db

TERMINATION = "/flandre-interieure/espace/mes-services/je-resilie-mon-abonnement/"


def test_valider_makes_a_request_with_its_reason_and_proof(client, resident):
    response = client.post(
        TERMINATION,
        {
            **termination_post(reason="autre", details="  Je pars à l'étranger.  "),
            "proof": proof_upload(),
        },
        follow=True,
    )
    assert "Votre demande « Résiliation de mon abonnement » est enregistrée" in plain(response)
    service_request = ServiceRequest.objects.get()
    assert service_request.requested == {
        "ended_on": "2024-03-31",
        "reason": "autre",
        "details": "Je pars à l'étranger.",
    }
    page = plain(
        client.get(f"/flandre-interieure/espace/suivi-de-mes-demandes/{service_request.pk}/")
    )
    assert "Motif Autre motif (précisez-le) Précisions Je pars à l'étranger." in page
    assert "Fin de l'abonnement — 31/03/2024" in page


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({"reason": ""}, "reason", "Choisissez le motif de la résiliation."),
        ({"reason": "ennui"}, "reason", "Sélectionnez un choix valide"),
        ({"reason": "autre", "details": "   "}, "details", "Précisez le motif de la résiliation."),
        ({"ended_on": "demain"}, "ended_on", "Saisissez une date valide"),
        ({"ended_on": "2020-01-01"}, "ended_on", "ne peut pas précéder le début"),
        ({"details": "x" * 5001}, "details", "au plus 5000 caractères"),
    ],
)
def test_bad_input_is_refused_in_french(client, resident, overrides, field, message):
    response = client.post(TERMINATION, {**termination_post(**overrides), "proof": proof_upload()})
    assert response.status_code == 200
    assert message in text(response) and f"id_{field}_error" in text(response)
    assert not ServiceRequest.objects.exists()


def test_the_proof_is_required(client, resident):
    response = client.post(TERMINATION, termination_post())
    assert "Joignez votre justificatif." in text(response)
    assert not ServiceRequest.objects.exists()


def test_accepting_ends_the_subscription_at_the_date(world):
    bin = make_bin(world.account, chip="E0040001")
    service_request = submit(world, "termination", termination_post(), {"proof": proof_upload()})
    services.service_request_accept(service_request=service_request, agent_user=world.ccfi_agent)
    assert Subscription.objects.get(account=world.account).ended_on == datetime.date(2024, 3, 31)
    bin.refresh_from_db()
    assert bin.removed_on == datetime.date(2024, 3, 31)
    world.account.refresh_from_db()
    assert world.account.billing_street == "route de Méteren"  # a termination moves nobody
    assert service_request.status_changes.last().note == (
        "Abonnement 00001 résilié au 31/03/2024, 1 bac retiré."
    )
    audit = AuditEntry.objects.get()
    assert audit.after["applied"]["subscription"] == "00001"


def test_accepting_when_already_ended_is_refused(client, world):
    service_request = submit(world, "termination", termination_post(), {"proof": proof_upload()})
    Subscription.objects.filter(account=world.account).update(ended_on=datetime.date(2024, 2, 1))
    with pytest.raises(ApplyRefused, match="déjà terminé"):
        services.service_request_accept(
            service_request=service_request, agent_user=world.ccfi_agent
        )
    assert ServiceRequest.objects.get().status == RequestStatus.PENDING
    assert Subscription.objects.get(account=world.account).ended_on == datetime.date(2024, 2, 1)


def test_the_agent_sees_the_reason_and_decides(client, world):
    service_request = submit(world, "termination", termination_post(), {"proof": proof_upload()})
    client.force_login(world.ccfi_agent)
    page = plain(client.get(f"{BO}{service_request.pk}/"))
    assert "Motif Logement vendu, vide ou démoli" in page
    assert (
        "L'abonnement 00001 (29 ROUTE DE MÉTEREN 59270 BAILLEUL) sera terminé le 31/03/2024."
        in page
    )
    assert "justificatif.png" in page
    response = client.post(f"{BO}{service_request.pk}/accepter/", follow=True)
    assert "Demande acceptée : la modification est appliquée" in plain(response)
