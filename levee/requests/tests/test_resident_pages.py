"""The resident's pages: Mes services, the two forms of seed 004, Suivi de mes demandes and
a request's detail — only his own account's requests, bad input refused in French."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from levee.requests import services
from levee.requests.models import RequestMessage, RequestStatus, ServiceRequest
from testkit import PDF_BYTES, proof_upload

from .conftest import (
    COORDONNEES,
    INFORMATIONS,
    TRACKING,
    coordonnees_post,
    informations_post,
    make_request,
    plain,
    text,
)

pytestmark = pytest.mark.django_db


def test_mes_services_shows_the_seeds_groups_and_types(client, resident):
    page = plain(client.get("/flandre-interieure/espace/mes-services/"))
    assert "Mes services J'effectue ici mes demandes relatives à la gestion des déchets." in page
    assert (
        "Compte Modifier mes coordonnées Modifier mes informations personnelles Je signale mon "
        "déménagement Je résilie mon abonnement Paiement "
    ) in page
    # « Paiement en ligne » (a link to Mes factures) is tested with direct debit's types.
    assert (
        "Je choisis le prélèvement automatique J'arrête le prélèvement automatique Autres "
        "démarches Demande d'intervention sur mon bac Nous contacter Précédent"
    ) in page
    # A lift is contested from the lift.
    for not_listed in ("Contester une levée", "J'emménage"):
        assert not_listed not in page


def test_the_space_menu_and_home_lead_to_mes_services_and_suivi(client, resident):
    page = text(client.get("/flandre-interieure/espace/"))
    assert page.count('href="/flandre-interieure/espace/mes-services/"') == 2
    assert page.count(f'href="{TRACKING}"') == 2


def test_the_informations_form_is_pre_filled_with_todays_values(client, resident):
    page = text(client.get(INFORMATIONS))
    assert "Modifier mes informations" in page
    assert "Je modifie ici mes informations personnelles." in page
    assert 'name="first_name" value="Pierre"' in page
    assert 'name="billing_number" value="29"' in page
    assert 'name="billing_street" value="route de Méteren"' in page
    assert '<option value="FR" selected>FRANCE</option>' in page
    assert "Complément Ville (CEDEX, CS, ...)" in page and "Nombre de personnes du foyer" in page


def test_valider_makes_a_request_shown_en_cours_in_suivi(client, resident):
    response = client.post(INFORMATIONS, informations_post(), follow=True)
    assert response.redirect_chain[-1][0] == "/flandre-interieure/espace/"
    assert "Votre demande « Modification de mes informations » est enregistrée" in plain(response)
    # Nothing applies yet: the header still reads PIERRE and 29.
    assert "PIERRE DUPONT - dupont59@gmail.com" in plain(response)
    service_request = ServiceRequest.objects.get()
    page = plain(client.get(TRACKING))
    date = service_request.created_at.astimezone().strftime("%d/%m/%Y")
    assert (
        "Date de la demande Type de demande Statut "
        f"{date} Modification de mes informations du {date}"
    ) in page
    assert (
        page.split("Modification de mes informations")[1]
        .split("Précédent")[0]
        .strip()
        .endswith("EN COURS")
    )


def test_suivi_shows_the_newest_first(client, resident):
    older = make_request(resident)
    newer = make_request(resident, "contact_details")
    ServiceRequest.objects.filter(pk=older.pk).update(created_at="2023-07-07T10:00:00+02:00")
    page = text(client.get(TRACKING))
    assert page.index(f"suivi-de-mes-demandes/{newer.pk}/") < page.index(
        f"suivi-de-mes-demandes/{older.pk}/"
    )
    assert "07/07/2023" in page


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({"last_name": "  "}, "last_name", "Ce champ est obligatoire."),
        (
            {"billing_postal_code": "5927"},
            "billing_postal_code",
            "Un code postal français compte 5 chiffres",
        ),
        (
            {"billing_country": "BE", "billing_postal_code": "<b>"},
            "billing_postal_code",
            "Ce code postal n'est pas valide.",
        ),
        ({"billing_number": "30b"}, "billing_number", "Le numéro ne contient que des chiffres"),
        ({"household_size": "0"}, "household_size", "supérieure ou égale à 1"),
        ({"household_size": "trois"}, "household_size", "Saisissez un nombre entier."),
        ({"category": "martien"}, "category", "Sélectionnez un choix valide"),
        ({"billing_country": "XX"}, "billing_country", "Sélectionnez un choix valide"),
        ({"billing_street": "r" * 201}, "billing_street", "au plus 200 caractères"),
        ({"billing_city": ""}, "billing_city", "Ce champ est obligatoire."),
    ],
)
def test_bad_input_in_the_informations_form_is_refused_in_french(
    client, resident, overrides, field, message
):
    response = client.post(INFORMATIONS, informations_post(**overrides))
    assert response.status_code == 200
    page = text(response)
    assert message in page
    assert f'aria-describedby="id_{field}_error"' in page and 'aria-invalid="true"' in page
    assert not ServiceRequest.objects.exists()


def test_a_form_that_changes_nothing_is_refused(client, resident):
    unchanged = informations_post(first_name="Pierre", billing_number="29", billing_city="Bailleul")
    response = client.post(INFORMATIONS, unchanged)
    assert "Vous n'avez rien modifié" in text(response)
    response = client.post(
        COORDONNEES,
        coordonnees_post(email="dupont59@gmail.com", number_1="06 01 02 03 04", type_1="fixe"),
    )
    assert "Vous n'avez rien modifié" in text(response)
    assert not ServiceRequest.objects.exists()


def test_the_coordinates_form_is_pre_filled_and_reads_like_the_seed(client, resident):
    page = text(client.get(COORDONNEES))
    assert "Si mes coordonnées sont différentes (email, téléphone), je les modifie ici." in page
    assert 'name="email" value="dupont59@gmail.com"' in page
    assert 'name="number_1" value="0601020304"' in page
    assert '<option value="fixe" selected>Fixe</option>' in page
    assert 'Type<span class="sr-only"> du numéro 3</span>' in page


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({"email": "dupont@"}, "email", "Saisissez une adresse de courriel valide."),
        (
            {"email": "martin@example.org"},
            "email",
            "Cette adresse email est déjà utilisée par un autre identifiant.",
        ),
        ({"email": "MARTIN@example.org"}, "email", "déjà utilisée par un autre identifiant."),
        ({"number_1": "12345"}, "number_1", "Saisissez un numéro à 10 chiffres"),
        ({"type_1": ""}, "type_1", "Choisissez le type du numéro 1."),
        (
            {"type_2": "fixe"},
            "number_2",
            "Saisissez le numéro 2, ou laissez son type sur « -- Sélectionner -- ».",
        ),
        (
            {"number_2": "0328000000", "type_2": "portable"},
            "type_2",
            "Un seul numéro par type : le numéro 1 est déjà « Portable ».",
        ),
        ({"type_3": "satellite"}, "type_3", "Sélectionnez un choix valide"),
    ],
)
def test_bad_input_in_the_coordinates_form_is_refused_in_french(
    client, resident, overrides, field, message
):
    response = client.post(COORDONNEES, coordonnees_post(**overrides))
    assert response.status_code == 200
    page = text(response)
    assert message in page
    assert f"id_{field}_error" in page
    assert not ServiceRequest.objects.exists()


def test_a_request_of_a_type_that_still_waits_replaces_its_form(client, resident):
    waiting = make_request(resident)
    page = plain(client.get(INFORMATIONS))
    assert "Vous avez déjà une demande « Modification de mes informations »" in page
    assert 'name="first_name"' not in text(client.get(INFORMATIONS))
    client.post(INFORMATIONS, informations_post(first_name="PIERRE-HENRI"))
    assert list(ServiceRequest.objects.values_list("pk", flat=True)) == [waiting.pk]


def test_the_detail_shows_what_was_asked_the_messages_and_the_history(client, resident):
    service_request = make_request(resident)
    services.service_request_complement_ask(
        service_request=service_request,
        agent_user=resident.ccfi_agent,
        body="Joignez un justificatif.",
        attachment=SimpleUploadedFile("modele.pdf", PDF_BYTES),
        attachment_content_type="application/pdf",
    )
    page = plain(client.get(f"{TRACKING}{service_request.pk}/"))
    assert "Statut : EN ATTENTE DE COMPLÉMENT" in page
    assert "Prénom Pierre PIERRICK" in page and "N° 29 30" in page
    assert "Rue" not in page.split("Ce que j'ai demandé")[1].split("Messages")[0]
    assert "CCFI — " in page and "Joignez un justificatif." in page and "modele.pdf" in page
    assert "EN COURS" in page.split("Historique")[-1]
    assert "Répondre à la demande de complément" in page


def test_the_resident_answers_a_complement_with_an_attachment(client, resident):
    service_request = make_request(resident)
    services.service_request_complement_ask(
        service_request=service_request, agent_user=resident.ccfi_agent, body="Justificatif ?"
    )
    response = client.post(
        f"{TRACKING}{service_request.pk}/repondre/",
        {"body": "Voici ma facture d'eau.", "attachment": proof_upload("facture.png")},
        follow=True,
    )
    assert "Votre réponse est transmise : votre demande est à nouveau EN COURS." in plain(response)
    service_request.refresh_from_db()
    assert service_request.status == RequestStatus.PENDING
    answer = RequestMessage.objects.get(author_role="resident")
    assert answer.attachment_content_type == "image/png"
    download = client.get(f"{TRACKING}{service_request.pk}/pieces-jointes/{answer.pk}/")
    assert download.status_code == 200 and download["Content-Type"] == "image/png"
    assert download["Content-Security-Policy"].startswith("sandbox")


@pytest.mark.parametrize(
    "data, message",
    [
        ({"body": "   "}, "Écrivez votre message."),
        (
            {"body": "Voici.", "attachment": SimpleUploadedFile("virus.exe", b"MZ\x90\x00")},
            "Le justificatif doit être un fichier PDF, JPEG ou PNG.",
        ),
        (
            {"body": "Voici.", "attachment": SimpleUploadedFile("faux.pdf", b"<html>")},
            "Le contenu du fichier ne correspond pas à son extension",
        ),
        ({"body": "x" * 5001}, "au plus 5000 caractères"),
    ],
)
def test_a_bad_answer_is_refused_in_french_and_changes_nothing(client, resident, data, message):
    service_request = make_request(resident)
    services.service_request_complement_ask(
        service_request=service_request, agent_user=resident.ccfi_agent, body="?"
    )
    response = client.post(f"{TRACKING}{service_request.pk}/repondre/", data)
    assert response.status_code == 200 and message in text(response)
    service_request.refresh_from_db()
    assert service_request.status == RequestStatus.WAITING
    assert not RequestMessage.objects.filter(author_role="resident").exists()


def test_a_handled_request_cannot_be_answered_nor_edited(client, resident):
    service_request = make_request(resident)
    services.service_request_accept(service_request=service_request, agent_user=resident.ccfi_agent)
    response = client.post(
        f"{TRACKING}{service_request.pk}/repondre/", {"body": "Finalement, non."}, follow=True
    )
    assert "elle ne peut plus être modifiée" in plain(response)
    assert "Répondre à la demande de complément" not in plain(response)
    assert not RequestMessage.objects.exists()
    assert ServiceRequest.objects.get().status == RequestStatus.ACCEPTED


def _id_paths(service_request) -> list[tuple[str, str]]:
    message = RequestMessage.objects.filter(service_request=service_request).first()
    base = f"{TRACKING}{service_request.pk}/"
    return [
        ("get", base),
        ("post", f"{base}repondre/"),
        ("post", f"{base}nouveau-lien/"),
        ("get", f"{base}pieces-jointes/{message.pk}/"),
    ]


@pytest.fixture
def asked(world):
    service_request = make_request(world)
    services.service_request_complement_ask(
        service_request=service_request,
        agent_user=world.ccfi_agent,
        body="?",
        attachment=SimpleUploadedFile("modele.pdf", PDF_BYTES),
        attachment_content_type="application/pdf",
    )
    return service_request


def test_the_owner_reaches_every_page_of_his_request(client, world, asked):
    client.force_login(world.resident)
    for method, path in _id_paths(asked):
        response = getattr(client, method)(path, {"body": "Voici."} if method == "post" else None)
        assert response.status_code in (200, 302), path


@pytest.mark.parametrize("who", ["neighbour", "ccfi_agent", "pilat_agent"])
def test_anyone_else_gets_404_on_every_page_of_a_request(client, world, asked, who):
    client.force_login(getattr(world, who))
    for method, path in _id_paths(asked):
        response = getattr(client, method)(path, {"body": "Voici."} if method == "post" else None)
        assert response.status_code == 404, (who, path)
    asked.refresh_from_db()
    assert asked.status == RequestStatus.WAITING
    assert RequestMessage.objects.filter(author_role="resident").count() == 0


def test_a_neighbour_does_not_see_the_request_in_his_suivi(client, world, asked):
    client.force_login(world.neighbour)
    assert "Modification de mes informations" not in plain(client.get(TRACKING))
    response = client.get(f"{TRACKING}?compte={world.account.pk}")
    assert response.status_code == 404


def test_a_visitor_is_sent_to_the_login(client, world):
    for path in ("/flandre-interieure/espace/mes-services/", INFORMATIONS, TRACKING):
        assert client.get(path)["Location"].startswith("/connexion/")


def test_an_unknown_type_or_one_with_pages_of_its_own_is_404(client, resident):
    for slug in ("paiement-en-ligne", "j-emmenage", "cle-d-activation"):
        assert client.get(f"/flandre-interieure/espace/mes-services/{slug}/").status_code == 404


def test_suivi_takes_a_constant_number_of_queries(client, resident, django_assert_max_num_queries):
    make_request(resident)
    make_request(resident, "contact_details")
    with django_assert_max_num_queries(12):
        client.get(TRACKING)
