"""The agents' pages of the demandes: the queue of their authority only, a request's page
with today's values beside the requested ones, the decisions, each tried with bad input."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from levee.audit.models import AuditEntry
from levee.requests import services
from levee.requests.models import RequestMessage, RequestStatus, ServiceRequest
from testkit import PDF_BYTES, make_account, make_user

from .conftest import BO, make_request, plain, text

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent(client, world):
    client.force_login(world.ccfi_agent)
    return world


def test_the_queue_lists_the_authoritys_open_requests_oldest_first(client, agent):
    newer = make_request(agent, "contact_details")
    older = make_request(agent)
    ServiceRequest.objects.filter(pk=older.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=40)
    )
    page = text(client.get(BO))
    assert page.index(f"/backoffice/demandes/{older.pk}/") < page.index(
        f"/backoffice/demandes/{newer.pk}/"
    )
    assert "2 demandes, les plus anciennes d'abord." in plain(client.get(BO))
    assert "00001 — DUPONT PIERRE" in page and "BAILLEUL" in page


def test_the_queue_filters_by_type_status_commune_and_age(client, agent):
    informations = make_request(agent)
    coordinates = make_request(agent, "contact_details")
    ServiceRequest.objects.filter(pk=informations.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=10)
    )
    services.service_request_refuse(
        service_request=coordinates, agent_user=agent.ccfi_agent, reason="Doublon."
    )

    def shown(query: str) -> set[int]:
        page = text(client.get(BO + query))
        return {pk for pk in (informations.pk, coordinates.pk) if f"demandes/{pk}/" in page}

    assert shown("") == {informations.pk}  # « À traiter » by default
    assert shown("?statut=") == {informations.pk, coordinates.pk}
    assert shown("?statut=refused") == {coordinates.pk}
    assert shown("?statut=&type=contact_details") == {coordinates.pk}
    assert shown("?statut=&commune=59043") == {informations.pk, coordinates.pk}
    assert shown("?statut=&commune=59295") == {informations.pk, coordinates.pk}  # not offered
    assert shown("?statut=&anciennete=7") == {coordinates.pk}
    assert shown("?statut=&anciennete=7-30") == {informations.pk}
    assert shown("?statut=&anciennete=30") == set()


@pytest.mark.parametrize(
    "query", ["?type=%00", "?statut=<script>", "?anciennete=9999", "?page=abc", "?page=-1"]
)
def test_a_tampered_filter_is_ignored_never_an_error(client, agent, query):
    make_request(agent)
    response = client.get(BO + query)
    assert response.status_code in (200, 400)
    if response.status_code == 200:
        assert "DUPONT" in text(response)


def test_the_queue_shows_only_the_agents_authority(client, world):
    make_request(world)
    client.force_login(world.pilat_agent)
    assert "DUPONT" not in text(client.get(BO))


def test_the_queue_takes_a_constant_number_of_queries(client, agent, django_assert_max_num_queries):
    for n in range(3, 8):
        account = make_account(agent.ccfi, code=f"0000{n}", portal_key=f"KEYAAAA{n}")
        user = make_user(f"usager{n}@example.org", accounts=[account])
        agent.account = account
        make_request(agent, user=user)
    with django_assert_max_num_queries(10):
        client.get(BO + "?statut=")


def test_the_request_page_shows_today_beside_the_request_and_what_changed_since(client, agent):
    service_request = make_request(agent, "contact_details")
    agent.account.phone = "0328000000"
    agent.account.save(update_fields=["phone"])
    page = plain(client.get(f"{BO}{service_request.pk}/"))
    assert "Attention : des informations ont changé depuis la demande" in page
    assert (
        "Téléphone fixe : « 0601020304 » au moment de la demande, « 0328000000 » aujourd'hui."
        in page
    )
    assert "Téléphone portable — 0600000007 — Demandé" in page
    assert "Un lien de confirmation sera envoyé à dupontDU59@gmail.com" in page


def test_the_request_page_says_the_dwelling_will_be_corrected_too(client, agent):
    service_request = make_request(agent)
    page = plain(client.get(f"{BO}{service_request.pk}/"))
    assert "Prénom Pierre PIERRICK Pierre Demandé" in page
    assert "elle sera corrigée de la même façon (30 ROUTE DE MÉTEREN 59270 BAILLEUL)" in page


def test_accepter_applies_and_a_second_click_changes_nothing(client, agent):
    service_request = make_request(agent)
    response = client.post(f"{BO}{service_request.pk}/accepter/", follow=True)
    page = plain(response)
    assert "Demande acceptée : la modification est appliquée" in page
    assert "Adresse d'habitation corrigée aussi : 30 ROUTE DE MÉTEREN 59270 BAILLEUL." in page
    assert "Statut : ACCEPTÉ" in page and "Décision" not in page
    response = client.post(f"{BO}{service_request.pk}/accepter/", follow=True)
    assert "Cette demande a changé de statut entre-temps" in plain(response)
    assert AuditEntry.objects.filter(action="service_request.accept").count() == 1


def test_accepting_a_new_email_taken_by_another_login_is_refused_with_a_message(client, agent):
    service_request = make_request(agent, "contact_details")
    make_user("dupontDU59@gmail.com")
    response = client.post(f"{BO}{service_request.pk}/accepter/", follow=True)
    page = plain(response)
    assert "La demande n'est pas acceptée : dupontDU59@gmail.com : Cette adresse email est" in page
    assert "Statut : EN COURS" in page
    agent.account.refresh_from_db()
    assert agent.account.mobile == ""


def test_refuser_needs_a_reason(client, agent):
    service_request = make_request(agent)
    response = client.post(f"{BO}{service_request.pk}/refuser/", {"reason": "  "})
    assert response.status_code == 200
    assert "Indiquez le motif du refus : l'usager le recevra." in text(response)
    assert 'aria-describedby="id_reason_error"' in text(response)
    assert ServiceRequest.objects.get().status == RequestStatus.PENDING
    response = client.post(
        f"{BO}{service_request.pk}/refuser/",
        {"reason": "Nom différent de la facture."},
        follow=True,
    )
    assert "Demande refusée" in plain(response)
    assert ServiceRequest.objects.get().get_status_display() == "REFUSÉ"


@pytest.mark.parametrize(
    "data, message",
    [
        ({"body": ""}, "Écrivez ce que l'usager doit compléter."),
        (
            {"body": "Justificatif ?", "attachment": SimpleUploadedFile("a.pdf", b"")},
            "est vide",
        ),
        (
            {"body": "Justificatif ?", "attachment": SimpleUploadedFile("a.png", PDF_BYTES)},
            "Le contenu du fichier ne correspond pas à son extension",
        ),
    ],
)
def test_demander_un_complement_refuses_bad_input(client, agent, data, message):
    service_request = make_request(agent)
    response = client.post(f"{BO}{service_request.pk}/complement/", data)
    assert response.status_code == 200 and message in text(response)
    assert ServiceRequest.objects.get().status == RequestStatus.PENDING
    assert not RequestMessage.objects.exists()


def test_demander_un_complement_waits_for_the_resident(client, agent):
    service_request = make_request(agent)
    response = client.post(
        f"{BO}{service_request.pk}/complement/",
        {"body": "Joignez un justificatif.", "attachment": SimpleUploadedFile("m.pdf", PDF_BYTES)},
        follow=True,
    )
    assert "Complément demandé" in plain(response)
    assert "EN ATTENTE DE COMPLÉMENT" in plain(response)
    message = RequestMessage.objects.get()
    download = client.get(f"{BO}{service_request.pk}/pieces-jointes/{message.pk}/")
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"


def test_the_decisions_only_take_post(client, agent):
    service_request = make_request(agent)
    for action in ("accepter", "refuser", "complement"):
        assert client.get(f"{BO}{service_request.pk}/{action}/").status_code == 405
    assert ServiceRequest.objects.get().status == RequestStatus.PENDING


def _bo_paths(service_request, message) -> list[tuple[str, str, dict]]:
    base = f"{BO}{service_request.pk}/"
    return [
        ("get", base, {}),
        ("post", f"{base}accepter/", {}),
        ("post", f"{base}refuser/", {"reason": "Non."}),
        ("post", f"{base}complement/", {"body": "?"}),
        ("get", f"{base}pieces-jointes/{message.pk}/", {}),
    ]


@pytest.fixture
def asked(world):
    service_request = make_request(world)
    services.service_request_complement_ask(
        service_request=service_request,
        agent_user=world.ccfi_agent,
        body="?",
        attachment=SimpleUploadedFile("m.pdf", PDF_BYTES),
        attachment_content_type="application/pdf",
    )
    service_request.refresh_from_db()
    return service_request


def test_another_authoritys_agent_gets_404_and_changes_nothing(client, world, asked):
    client.force_login(world.pilat_agent)
    for method, path, data in _bo_paths(asked, asked.messages.get()):
        assert getattr(client, method)(path, data).status_code == 404, path
    asked.refresh_from_db()
    assert asked.status == RequestStatus.WAITING
    assert AuditEntry.objects.count() == 1  # the complement asked by the CCFI agent


@pytest.mark.parametrize("who", ["resident", "neighbour"])
def test_a_resident_is_sent_to_the_agents_login(client, world, asked, who):
    client.force_login(getattr(world, who))
    for method, path, data in _bo_paths(asked, asked.messages.get()):
        response = getattr(client, method)(path, data)
        assert response.status_code == 302 and "/backoffice/connexion/" in response["Location"]
    asked.refresh_from_db()
    assert asked.status == RequestStatus.WAITING


def test_the_owners_authority_agent_reaches_every_page(client, world, asked):
    client.force_login(world.ccfi_agent)
    message = asked.messages.get()
    base = f"{BO}{asked.pk}/"
    assert client.get(base).status_code == 200
    assert client.get(f"{base}pieces-jointes/{message.pk}/").status_code == 200
    assert client.post(f"{base}accepter/").status_code == 302
    assert ServiceRequest.objects.get().status == RequestStatus.ACCEPTED


def test_the_back_office_menu_leads_to_the_requests(client, agent):
    assert 'href="/backoffice/demandes/"' in text(client.get("/backoffice/"))
