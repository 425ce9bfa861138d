"""« Demande d'intervention sur mon bac »: one of the account's bins, what is wanted, a
description and an optional photo; acceptance records the decision and changes no bin."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from levee.audit.models import AuditEntry
from levee.collection.models import Bin, Flux
from levee.collection.tests.conftest import make_bin
from levee.mailing.models import OutboxMessage
from levee.requests import services
from levee.requests.models import RequestMessage, RequestStatus, ServiceRequest
from testkit import PDF_BYTES, proof_upload

from .conftest import BO, plain, submit, text

pytestmark = pytest.mark.django_db

INTERVENTION = "/flandre-interieure/espace/mes-services/demande-d-intervention-sur-mon-bac/"


@pytest.fixture
def bins(world):
    return {
        "om": make_bin(world.account, chip="E0040001", volume=140),
        "recyclables": make_bin(world.account, chip="E0040002", flux=Flux.RECYCLABLES, volume=240),
        "old": make_bin(world.account, tank="C0009", removed_on=datetime.date(2023, 1, 1)),
        "neighbour": make_bin(world.neighbour_account, chip="E0049999"),
    }


def post(bins, **overrides) -> dict:
    data = {
        "bin": bins["om"].pk,
        "intervention": "reparation",
        "new_volume": "",
        "description": "Le couvercle est cassé.",
    }
    data.update(overrides)
    return data


def test_the_form_offers_the_accounts_bins_in_service_only(client, resident, bins):
    page = text(client.get(INTERVENTION))
    assert "Ordures ménagères 140 L — puce E0040001" in page
    assert "Emballages recyclables 240 L — puce E0040002" in page
    assert "C0009" not in page and "E0049999" not in page
    for label in ("Bac concerné", "Intervention demandée", "Nouveau volume", "Description"):
        assert label in page
    assert "Changement de volume" in page and "Vol ou perte" in page


def test_without_a_bin_the_page_says_whom_to_write_to(client, resident):
    page = plain(client.get(INTERVENTION))
    assert "Aucun bac en service n'est enregistré pour ce compte" in page
    assert "Nous contacter" in page


def test_valider_makes_a_request_with_its_photo(client, resident, bins):
    response = client.post(
        INTERVENTION, {**post(bins), "photo": proof_upload("couvercle.png")}, follow=True
    )
    assert "Votre demande « Intervention sur mon bac » est enregistrée : un agent va" in plain(
        response
    )
    service_request = ServiceRequest.objects.get()
    assert service_request.subject == str(bins["om"].pk)
    assert service_request.snapshot == {
        "bin": "Ordures ménagères 140 L — puce E0040001",
        "volume": "140 L",
    }
    photo = RequestMessage.objects.get()
    assert (
        photo.attachment_content_type == "image/png" and photo.body == "Photo jointe à la demande."
    )
    page = plain(
        client.get(f"/flandre-interieure/espace/suivi-de-mes-demandes/{service_request.pk}/")
    )
    assert "Intervention demandée Réparation (couvercle, roues, poignée…)" in page
    assert "Description Le couvercle est cassé." in page


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({"bin": ""}, "bin", "Choisissez le bac concerné."),
        ({"bin": "abc"}, "bin", "Choisissez un de vos bacs dans la liste."),
        ({"intervention": ""}, "intervention", "Choisissez l'intervention demandée."),
        ({"intervention": "volume"}, "new_volume", "Choisissez le nouveau volume."),
        (
            {"intervention": "volume", "new_volume": "140"},
            "new_volume",
            "Votre bac a déjà ce volume",
        ),
        (
            {"intervention": "volume", "new_volume": "999"},
            "new_volume",
            "Sélectionnez un choix valide",
        ),
        ({"new_volume": "240"}, "new_volume", "ne se choisit que pour un « Changement de volume »"),
        ({"description": "   "}, "description", "Décrivez ce qui se passe."),
    ],
)
def test_bad_input_is_refused_in_french(client, resident, bins, overrides, field, message):
    response = client.post(INTERVENTION, post(bins, **overrides))
    assert response.status_code == 200
    assert message in text(response) and f"id_{field}_error" in text(response)
    assert not ServiceRequest.objects.exists()


@pytest.mark.parametrize("which", ["neighbour", "old"])
def test_a_bin_of_another_account_or_taken_out_is_not_a_choice(client, resident, bins, which):
    response = client.post(INTERVENTION, post(bins, bin=bins[which].pk))
    assert "Choisissez un de vos bacs dans la liste." in text(response)
    assert not ServiceRequest.objects.exists()


@pytest.mark.parametrize(
    "photo, message",
    [
        (SimpleUploadedFile("photo.pdf", PDF_BYTES), "La photo doit être une image JPEG ou PNG."),
        (
            SimpleUploadedFile("photo.png", b"\x89PNG\r\n\x1a\nnot really"),
            "illisible ou endommagée",
        ),
        (SimpleUploadedFile("photo.gif", b"GIF89a"), "doit être un fichier PDF, JPEG ou PNG"),
    ],
)
def test_a_photo_must_be_a_real_image(client, resident, bins, photo, message):
    response = client.post(INTERVENTION, {**post(bins), "photo": photo})
    assert message in text(response) and "id_photo_error" in text(response)
    assert not ServiceRequest.objects.exists()


def test_each_bin_has_its_own_open_request(client, resident, bins):
    client.post(INTERVENTION, post(bins))
    client.post(INTERVENTION, post(bins, bin=bins["recyclables"].pk, intervention="vol"))
    assert ServiceRequest.objects.count() == 2
    response = client.post(INTERVENTION, post(bins, description="Encore cassé."))
    assert "Vous avez déjà une demande « Intervention sur mon bac »" in plain(response)
    assert ServiceRequest.objects.count() == 2


def test_accepting_a_change_of_volume_records_it_and_leaves_the_bin_alone(world, bins):
    service_request = submit(
        world, "bin_intervention", post(bins, intervention="volume", new_volume="240")
    )
    services.service_request_accept(
        service_request=service_request,
        agent_user=world.ccfi_agent,
        decision={"message": "Livraison du bac de 240 L le 12 mars."},
    )
    assert Bin.objects.get(pk=bins["om"].pk).volume_litres == 140
    service_request.refresh_from_db()
    assert service_request.status == RequestStatus.ACCEPTED
    answer = RequestMessage.objects.get(author_role="agent")
    assert (
        answer.body == "Livraison du bac de 240 L le 12 mars." and answer.author == world.ccfi_agent
    )
    audit = AuditEntry.objects.get()
    assert audit.after["message"] == "Livraison du bac de 240 L le 12 mars."
    assert audit.after["applied"]["intervention"] == "volume"
    mail = OutboxMessage.objects.get(template="request_accepted")
    assert "ACCEPTÉE : le service des déchets va intervenir." in mail.body_text
    assert "Livraison du bac de 240 L le 12 mars." in mail.body_text


def test_the_agent_sees_the_bin_today_and_the_volume_asked(client, world, bins):
    service_request = submit(
        world, "bin_intervention", post(bins, intervention="volume", new_volume="240")
    )
    Bin.objects.filter(pk=bins["om"].pk).update(removed_on=datetime.date(2024, 5, 1))
    client.force_login(world.ccfi_agent)
    page = plain(client.get(f"{BO}{service_request.pk}/"))
    assert "Volume 140 L 240 L 140 L Demandé" in page
    assert "Bac : « Ordures ménagères 140 L — puce E0040001 » au moment de la demande" in page
    assert "(retiré le 01/05/2024) » aujourd'hui" in page
    assert "Le bac n'est pas modifié ici" in page
    assert "Message à l'usager (facultatif)" in page


@pytest.mark.parametrize("who", ["neighbour", "pilat_agent"])
def test_another_resident_or_authority_reaches_nothing(client, world, bins, who):
    service_request = submit(world, "bin_intervention", post(bins))
    client.force_login(getattr(world, who))
    base = "/flandre-interieure/espace/suivi-de-mes-demandes/" if who == "neighbour" else BO
    assert client.get(f"{base}{service_request.pk}/").status_code == 404
