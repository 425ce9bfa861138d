"""« Vous ne connaissez pas votre clé d'activation ? » (flow 12): from « Associer un autre
compte », a request with an identity document to the authority of the commune chosen; its
agent finds the account and « Accepter » mails the key — never shown on a screen."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from levee.audit.models import AuditEntry
from levee.mailing.models import OutboxMessage
from levee.requests.models import RequestMessage, RequestStatus, ServiceRequest
from testkit import make_account, proof_upload

from .conftest import BO, TRACKING, plain, text

pytestmark = pytest.mark.django_db

KEY = "/flandre-interieure/espace/associer/cle-d-activation/"


@pytest.fixture
def pelussin(client, resident):
    """The resident chose Pélussin (Pilat Rhodanien) at step 1; account 10042 is there."""
    make_account(
        resident.pilat,
        code="10042",
        portal_key="VZKRTQPM",
        commune=resident.pilat.communes.get(),
        postal_code="42410",
        street="rue du Pilat",
        number="12",
    )
    response = client.get("/flandre-interieure/espace/associer/?commune=42168-42410")
    assert response.status_code == 302
    return resident


def post(**overrides) -> dict:
    data = {
        "last_name": "Dupont",
        "first_name": "Pierre",
        "number": "12",
        "number_suffix": "",
        "street": "rue du Pilat",
        "complement": "",
        "message": "",
        "identity": proof_upload("carte-identite.png"),
    }
    data.update(overrides)
    return data


def asked(client) -> ServiceRequest:
    response = client.post(KEY, post(), follow=True)
    assert "Votre demande de clé d'activation est transmise" in plain(response)
    return ServiceRequest.objects.get()


def test_step_2_of_the_association_leads_here(client, pelussin):
    page = text(client.get("/flandre-interieure/espace/associer/cle/"))
    assert f'<a href="{KEY}">Vous ne connaissez pas votre clé d\'activation ?</a>' in page
    page = plain(client.get(KEY))
    assert "Vous ne connaissez pas votre clé d'activation ?" in page
    assert (
        "Commune : 42410 PÉLUSSIN — demande adressée à la Communauté de Communes du Pilat" in page
    )
    assert "Pièce d'identité" in page


def test_without_a_commune_chosen_it_goes_back_to_step_1(client, resident):
    response = client.get(KEY)
    assert response.status_code == 302
    assert response["Location"] == "/flandre-interieure/espace/associer/"


def test_the_request_goes_to_the_communes_authority_without_an_account(client, pelussin):
    service_request = asked(client)
    assert service_request.authority == pelussin.pilat
    assert service_request.account is None
    assert service_request.commune.name == "Pélussin"
    assert service_request.requested_by == pelussin.resident
    assert service_request.requested["address"] == "12 RUE DU PILAT 42410 PÉLUSSIN"
    identity = RequestMessage.objects.get()
    assert identity.attachment_name == "carte-identite.png"
    assert identity.authority == pelussin.pilat
    received = OutboxMessage.objects.get(template="request_received")
    assert received.to == "dupont59@gmail.com"
    assert f"/espace/mes-demandes/{service_request.pk}/" in received.body_text


def test_the_resident_follows_it_in_his_suivi(client, pelussin):
    service_request = asked(client)
    page = plain(client.get(TRACKING))
    assert "Demande de clé d'activation" in page and "EN COURS" in page
    response = client.get(f"/espace/mes-demandes/{service_request.pk}/")
    assert response["Location"] == f"{TRACKING}{service_request.pk}/"
    page = plain(client.get(f"{TRACKING}{service_request.pk}/"))
    assert "Demande adressée à la Communauté de Communes du Pilat Rhodanien." in page
    assert "Adresse 12 RUE DU PILAT 42410 PÉLUSSIN" in page
    identity = RequestMessage.objects.get()
    assert (
        client.get(f"{TRACKING}{service_request.pk}/pieces-jointes/{identity.pk}/").status_code
        == 200
    )


def test_a_second_one_waits_for_the_first(client, pelussin):
    asked(client)
    client.get("/flandre-interieure/espace/associer/?commune=42168-42410")
    page = plain(client.get(KEY))
    assert "Vous avez déjà demandé une clé d'activation" in page
    client.post(KEY, post())
    assert ServiceRequest.objects.count() == 1


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({"last_name": "   "}, "last_name", "Ce champ est obligatoire."),
        ({"street": ""}, "street", "Ce champ est obligatoire."),
        ({"number": "douze"}, "number", "Le numéro ne contient que des chiffres"),
        ({"identity": SimpleUploadedFile("id.txt", b"hello")}, "identity", "PDF, JPEG ou PNG"),
    ],
)
def test_bad_input_is_refused_in_french(client, pelussin, overrides, field, message):
    response = client.post(KEY, post(**overrides))
    assert message in text(response) and f"id_{field}_error" in text(response)
    assert not ServiceRequest.objects.exists()


def test_the_identity_document_is_required(client, pelussin):
    data = post()
    del data["identity"]
    response = client.post(KEY, data)
    assert "Joignez votre pièce d'identité." in text(response)
    assert not ServiceRequest.objects.exists()


def test_nobody_else_reaches_it(client, pelussin):
    service_request = asked(client)
    client.force_login(pelussin.neighbour)
    assert client.get(f"{TRACKING}{service_request.pk}/").status_code == 404
    assert client.get(f"/espace/mes-demandes/{service_request.pk}/").status_code == 404
    assert "clé d'activation" not in plain(client.get(TRACKING))
    client.force_login(pelussin.ccfi_agent)  # the agent of the space the resident asked from
    assert client.get(f"{BO}{service_request.pk}/").status_code == 404
    assert (
        client.post(f"{BO}{service_request.pk}/accepter/", {"account_code": "10042"}).status_code
        == 404
    )
    assert ServiceRequest.objects.get().status == RequestStatus.PENDING


def test_the_agent_finds_the_account_and_the_key_goes_by_email_only(client, pelussin):
    service_request = asked(client)
    client.force_login(pelussin.pilat_agent)
    page = plain(client.get(BO))
    assert "Sans compte — DUPONT PIERRE" in page
    page = plain(client.get(f"{BO}{service_request.pk}/"))
    assert "Comptes qui peuvent correspondre" in page
    assert "10042 DUPONT PIERRE 12 RUE DU PILAT 42410 PÉLUSSIN" in page
    assert "VZKRTQPM" not in page
    for data, message in (
        ({"account_code": ""}, "Indiquez le code usager du compte de l'usager."),
        (
            {"account_code": "00001"},
            "Aucun compte de la collectivité n'a le code usager « 00001 ».",
        ),
    ):
        response = client.post(f"{BO}{service_request.pk}/accepter/", data)
        assert message in text(response) and "id_account_code_error" in text(response)
    assert ServiceRequest.objects.get().status == RequestStatus.PENDING
    response = client.post(
        f"{BO}{service_request.pk}/accepter/", {"account_code": "10042"}, follow=True
    )
    page = plain(response)
    assert (
        "Demande acceptée" in page and "Clé d'activation du compte 10042 envoyée par email." in page
    )
    assert "VZKRTQPM" not in text(response)
    mail = OutboxMessage.objects.get(template="request_accepted")
    assert mail.to == "dupont59@gmail.com"
    assert "Clé d'activation du compte 10042 : VZKRTQPM" in mail.body_text
    assert "VZKRTQPM" in mail.body_html
    audit = AuditEntry.objects.get(action="service_request.accept")
    assert audit.after["applied"] == {"account": "10042", "key_sent_to": "dupont59@gmail.com"}
    assert "VZKRTQPM" not in json.dumps([audit.before, audit.after])
    service_request.refresh_from_db()
    assert "VZKRTQPM" not in json.dumps([service_request.requested, service_request.outcome])
    client.force_login(pelussin.resident)
    page = text(client.get(f"{TRACKING}{service_request.pk}/"))
    assert "ACCEPTÉ" in page and "VZKRTQPM" not in page
    # With the key from the email, step 2 finds the account.
    client.get("/flandre-interieure/espace/associer/?commune=42168-42410")
    response = client.post("/flandre-interieure/espace/associer/cle/", {"key": "VZKRTQPM"})
    assert response["Location"] == "/flandre-interieure/espace/associer/compte/"
