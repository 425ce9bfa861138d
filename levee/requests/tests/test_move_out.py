"""« Je signale mon déménagement »: the form and its bad input, what acceptance ends (the
subscription, its bins), the billing address, a new subscription for a move within the
authority, and a subscription already ended refusing the acceptance."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from levee.audit.models import AuditEntry
from levee.collection.models import Bin
from levee.collection.tests.conftest import make_bin
from levee.mailing.models import OutboxMessage
from levee.requests import services
from levee.requests.kinds.base import ApplyRefused
from levee.requests.models import RequestMessage, RequestStatus, ServiceRequest
from levee.subscribers.models import Subscription
from testkit import PDF_BYTES, proof_upload

from .conftest import BO, move_out_post, plain, submit, text

pytestmark = pytest.mark.django_db

MOVE = "/flandre-interieure/espace/mes-services/je-signale-mon-demenagement/"


def test_the_form_reads_like_flow_10(client, resident):
    page = plain(client.get(MOVE))
    assert "Je signale mon déménagement" in page
    for label in ("Date du déménagement", "Ma nouvelle adresse", "Code Postal", "Ville", "Rue"):
        assert label in page
    assert "Justificatif de déménagement" in page
    assert 'enctype="multipart/form-data"' in text(client.get(MOVE))


def test_valider_makes_a_request_with_its_proof_in_the_thread(client, resident):
    response = client.post(
        MOVE, {**move_out_post(), "proof": proof_upload("bail.png")}, follow=True
    )
    assert "Votre demande « Déménagement » est enregistrée" in plain(response)
    service_request = ServiceRequest.objects.get()
    assert service_request.kind == "move_out"
    assert service_request.requested["ended_on"] == "2024-03-15"
    assert service_request.requested["billing"] == "12 RUE OBERKAMPF 75011 PARIS"
    assert service_request.snapshot["subscription"] == "00001"
    proof = RequestMessage.objects.get()
    assert proof.attachment_name == "bail.png" and proof.attachment_content_type == "image/png"
    page = plain(
        client.get(f"/flandre-interieure/espace/suivi-de-mes-demandes/{service_request.pk}/")
    )
    # Its last day is the eve of the move: the household lives elsewhere from the 15th.
    assert "Fin de l'abonnement — 14/03/2024" in page
    assert "Date du déménagement 15/03/2024" in page
    assert "Adresse habitation 29 ROUTE DE MÉTEREN 59270 BAILLEUL 12 RUE OBERKAMPF" in page
    assert "(hors du territoire : pas de nouvel abonnement)" in page


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({"ended_on": ""}, "ended_on", "Indiquez la date du déménagement."),
        ({"ended_on": "31/02/2024"}, "ended_on", "Saisissez une date valide"),
        (
            {"ended_on": "2022-06-29"},
            "ended_on",
            "ne peut pas précéder le début de votre abonnement (30/06/2022)",
        ),
        ({"ended_on": "2999-01-01"}, "ended_on", "ne peut pas dépasser un an"),
        ({"postal_code": "7501"}, "postal_code", "Un code postal français compte 5 chiffres"),
        (
            {"postal_code": "59190", "city": "Bailleul"},
            "city",
            "Le code postal 59190 est celui de Hazebrouck",
        ),
        (
            {"country": "BE", "postal_code": "<b>"},
            "postal_code",
            "Ce code postal n'est pas valide.",
        ),
        ({"country": "ZZ"}, "country", "Sélectionnez un choix valide"),
        ({"street": ""}, "street", "Ce champ est obligatoire."),
        ({"number": "12b"}, "number", "Le numéro ne contient que des chiffres"),
    ],
)
def test_bad_input_is_refused_in_french_next_to_its_field(
    client, resident, overrides, field, message
):
    response = client.post(MOVE, {**move_out_post(**overrides), "proof": proof_upload()})
    assert response.status_code == 200
    page = text(response)
    assert message in page
    assert f'aria-describedby="id_{field}_' in page
    assert not ServiceRequest.objects.exists() and not RequestMessage.objects.exists()


@pytest.mark.parametrize(
    "proof, message",
    [
        (None, "Joignez votre justificatif de déménagement."),
        (SimpleUploadedFile("bail.exe", b"MZ\x90"), "doit être un fichier PDF, JPEG ou PNG"),
        (SimpleUploadedFile("bail.pdf", b"<html>"), "ne correspond pas à son extension"),
        (SimpleUploadedFile("bail.pdf", b""), "est vide"),
    ],
)
def test_a_missing_or_false_proof_is_refused(client, resident, proof, message):
    data = move_out_post()
    if proof is not None:
        data["proof"] = proof
    response = client.post(MOVE, data)
    assert message in text(response) and "id_proof_error" in text(response)
    assert not ServiceRequest.objects.exists()


def test_a_proof_too_big_is_refused(client, resident, settings):
    settings.PROOF_MAX_BYTES = 100
    response = client.post(
        MOVE, {**move_out_post(), "proof": SimpleUploadedFile("b.pdf", PDF_BYTES * 2)}
    )
    assert "dépasse la taille maximale" in text(response)
    assert not ServiceRequest.objects.exists()


def test_accepting_ends_the_subscription_and_takes_its_bins_out(world):
    om = make_bin(world.account, chip="E0040001")
    late = make_bin(world.account, chip="E0040002", delivered_on=datetime.date(2024, 4, 1))
    service_request = submit(world, "move_out", move_out_post(), {"proof": proof_upload()})
    services.service_request_accept(service_request=service_request, agent_user=world.ccfi_agent)
    subscription = Subscription.objects.get(account=world.account)
    assert subscription.ended_on == datetime.date(2024, 3, 14)  # the eve of the move
    om.refresh_from_db()
    late.refresh_from_db()
    assert om.removed_on == datetime.date(2024, 3, 14)
    assert late.removed_on == datetime.date(2024, 4, 1)  # never before its delivery
    world.account.refresh_from_db()
    assert world.account.billing_address_line == "12 rue Oberkampf 75011 Paris"
    assert Subscription.objects.filter(account=world.account).count() == 1  # outside: no new one
    service_request.refresh_from_db()
    assert service_request.status == RequestStatus.ACCEPTED
    assert service_request.status_changes.last().note == (
        "Abonnement 00001 terminé le 14/03/2024, 2 bacs retirés."
    )
    audit = AuditEntry.objects.get(action="service_request.accept")
    assert audit.before["values"]["dwelling"] == "29 ROUTE DE MÉTEREN 59270 BAILLEUL"
    assert audit.after["applied"]["ended_on"] == "2024-03-14"
    assert len(audit.after["applied"]["bins_removed"]) == 2
    mail = OutboxMessage.objects.get(template="request_accepted")
    assert (
        "votre abonnement à votre adresse actuelle prend fin le 14 mars 2024, veille de votre "
        "déménagement" in mail.body_text
    )


def test_a_move_within_the_authority_opens_a_subscription_at_the_new_address(world):
    service_request = submit(
        world,
        "move_out",
        move_out_post(postal_code="59190", city="HAZEBROUCK", street="rue de la Gare", number="3"),
        {"proof": proof_upload()},
    )
    assert service_request.requested["new_commune"] == "59295"
    services.service_request_accept(service_request=service_request, agent_user=world.ccfi_agent)
    old, new = Subscription.objects.filter(account=world.account).order_by("pk")
    assert old.ended_on == datetime.date(2024, 3, 14)
    assert new.subscribed_on == datetime.date(2024, 3, 15)
    assert new.ended_on is None and new.reference == "00001-2" and new.kind == old.kind
    assert new.address_line.upper() == "3 RUE DE LA GARE 59190 HAZEBROUCK"
    note = service_request.status_changes.last().note
    assert "Nouvel abonnement 00001-2 au 3 RUE DE LA GARE 59190 HAZEBROUCK" in note


def test_accepting_a_move_of_an_ended_subscription_is_refused_and_changes_nothing(world):
    service_request = submit(world, "move_out", move_out_post(), {"proof": proof_upload()})
    Subscription.objects.filter(account=world.account).update(ended_on=datetime.date(2024, 1, 31))
    bin = make_bin(world.account, chip="E0040001")
    with pytest.raises(
        ApplyRefused, match="L'abonnement 00001 est déjà terminé \\(le 31/01/2024\\)"
    ):
        services.service_request_accept(
            service_request=service_request, agent_user=world.ccfi_agent
        )
    service_request.refresh_from_db()
    world.account.refresh_from_db()
    bin.refresh_from_db()
    assert service_request.status == RequestStatus.PENDING
    assert world.account.billing_street == "route de Méteren"
    assert bin.removed_on is None
    assert Subscription.objects.get(account=world.account).ended_on == datetime.date(2024, 1, 31)
    assert not AuditEntry.objects.exists()


def test_the_agent_reads_the_consequences_and_the_refusal_in_french(client, world):
    service_request = submit(world, "move_out", move_out_post(), {"proof": proof_upload()})
    client.force_login(world.ccfi_agent)
    page = plain(client.get(f"{BO}{service_request.pk}/"))
    assert (
        "L'abonnement 00001 (29 ROUTE DE MÉTEREN 59270 BAILLEUL) sera terminé le 14/03/2024, "
        "veille du déménagement." in page
    )
    assert "L'adresse de facturation deviendra 12 RUE OBERKAMPF 75011 PARIS." in page
    assert "Fin de l'abonnement — 14/03/2024" in page
    Subscription.objects.filter(account=world.account).update(ended_on=datetime.date(2024, 1, 31))
    page = plain(client.get(f"{BO}{service_request.pk}/"))
    assert "La demande ne pourra pas être acceptée : refusez-la." in page
    response = client.post(f"{BO}{service_request.pk}/accepter/", follow=True)
    assert "La demande n'est pas acceptée : L'abonnement 00001 est déjà terminé" in plain(response)
    assert ServiceRequest.objects.get().status == RequestStatus.PENDING


def test_a_resident_whose_subscription_ended_cannot_ask(client, resident):
    Subscription.objects.filter(account=resident.account).update(
        ended_on=datetime.date(2024, 1, 31)
    )
    response = client.post(MOVE, {**move_out_post(), "proof": proof_upload()})
    assert "Votre abonnement est déjà terminé" in text(response)
    assert not ServiceRequest.objects.exists()


def test_a_bin_already_taken_out_keeps_its_date(world):
    bin = make_bin(world.account, chip="E0040001", removed_on=datetime.date(2023, 1, 1))
    service_request = submit(world, "move_out", move_out_post(), {"proof": proof_upload()})
    services.service_request_accept(service_request=service_request, agent_user=world.ccfi_agent)
    assert Bin.objects.get(pk=bin.pk).removed_on == datetime.date(2023, 1, 1)
