"""« Nous contacter »: a subject, a message and attachments; the agent answers, which makes
the request « TRAITÉ »."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from levee.audit.models import AuditEntry
from levee.mailing.models import OutboxMessage
from levee.requests.models import RequestMessage, RequestStatus, ServiceRequest
from testkit import PDF_BYTES, proof_upload

from .conftest import BO, TRACKING, plain, submit, text

pytestmark = pytest.mark.django_db

CONTACT = "/flandre-interieure/espace/mes-services/nous-contacter/"


def post(**overrides) -> dict:
    data = {"subject": "Horaires de la déchèterie", "message": "Est-elle ouverte le dimanche ?"}
    data.update(overrides)
    return data


def test_valider_sends_the_message_with_its_attachments(client, resident):
    response = client.post(
        CONTACT,
        {
            **post(),
            "attachments": [
                proof_upload("plan.png"),
                SimpleUploadedFile("courrier.pdf", PDF_BYTES),
            ],
        },
        follow=True,
    )
    assert "Votre demande « Message » est enregistrée : un agent va l'examiner." in plain(response)
    service_request = ServiceRequest.objects.get()
    assert service_request.requested == {
        "subject": "Horaires de la déchèterie",
        "message": "Est-elle ouverte le dimanche ?",
    }
    first, second = RequestMessage.objects.order_by("pk")
    assert first.body == "Est-elle ouverte le dimanche ?" and first.attachment_name == "plan.png"
    assert second.body == "" and second.attachment_content_type == "application/pdf"
    page = plain(client.get(f"{TRACKING}{service_request.pk}/"))
    assert "Objet Horaires de la déchèterie" in page
    assert "plan.png (nouvel onglet)" in page and "courrier.pdf (nouvel onglet)" in page
    download = client.get(f"{TRACKING}{service_request.pk}/pieces-jointes/{second.pk}/")
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"


def test_several_messages_wait_one_at_a_time(client, resident):
    client.post(CONTACT, post())
    response = client.post(CONTACT, post(subject="Autre question"))
    assert "Vous avez déjà une demande « Message »" in plain(response)
    assert ServiceRequest.objects.count() == 1


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({"subject": "  "}, "subject", "Indiquez l'objet de votre message."),
        ({"subject": "x" * 151}, "subject", "au plus 150 caractères"),
        ({"message": ""}, "message", "Écrivez votre message."),
        (
            {"attachments": [SimpleUploadedFile("virus.exe", b"MZ")]},
            "attachments",
            "virus.exe : Le justificatif doit être un fichier PDF, JPEG ou PNG.",
        ),
        (
            {"attachments": [SimpleUploadedFile("faux.png", PDF_BYTES)]},
            "attachments",
            "faux.png : Le contenu du fichier ne correspond pas à son extension",
        ),
        (
            {"attachments": [proof_upload(f"p{n}.png") for n in range(6)]},
            "attachments",
            "Joignez au plus 5 fichiers.",
        ),
    ],
)
def test_bad_input_is_refused_in_french(client, resident, overrides, field, message):
    response = client.post(CONTACT, post(**overrides))
    assert response.status_code == 200
    assert message in text(response) and f"id_{field}_error" in text(response)
    assert not ServiceRequest.objects.exists() and not RequestMessage.objects.exists()


def test_accepting_needs_an_answer_which_makes_it_traite(client, world):
    service_request = submit(world, "contact", post())
    client.force_login(world.ccfi_agent)
    page = plain(client.get(f"{BO}{service_request.pk}/"))
    assert "Votre réponse (envoyée à l'usager)" in page
    response = client.post(f"{BO}{service_request.pk}/accepter/", {"message": "  "})
    assert response.status_code == 200
    assert "Écrivez votre réponse à l'usager." in text(response)
    assert 'aria-describedby="id_message_error"' in text(response)
    assert ServiceRequest.objects.get().status == RequestStatus.PENDING
    response = client.post(
        f"{BO}{service_request.pk}/accepter/",
        {"message": "Oui, de 9 h à 12 h."},
        follow=True,
    )
    assert "Demande traitée : l'usager en est informé par email." in plain(response)
    assert "Statut : TRAITÉ" in plain(response)
    assert AuditEntry.objects.get().after["message"] == "Oui, de 9 h à 12 h."
    mail = OutboxMessage.objects.get(template="request_accepted")
    assert mail.subject.startswith("Votre demande « Message » est traitée")
    assert "est TRAITÉE : vous trouverez la réponse ci-dessous." in mail.body_text
    assert "Oui, de 9 h à 12 h." in mail.body_text
    client.force_login(world.resident)
    page = plain(client.get(TRACKING))
    assert page.split("Message")[-1].split("Précédent")[0].strip().endswith("TRAITÉ")
    detail = plain(client.get(f"{TRACKING}{service_request.pk}/"))
    assert "Statut : TRAITÉ" in detail and "Oui, de 9 h à 12 h." in detail
    assert "TRAITÉ" in detail.split("Historique")[-1]


def test_the_queue_filters_it_and_names_it(client, world):
    submit(world, "contact", post())
    client.force_login(world.ccfi_agent)
    page = plain(client.get(f"{BO}?type=contact"))
    assert "1 demande, les plus anciennes d'abord." in page
    assert "Nous contacter" in page and "00001 — DUPONT PIERRE" in page
