"""An upload over its form's limit is refused from its Content-Length, through the whole
middleware stack, before anything reads its body: the forms of the demandes, J'emménage,
the account-opening form and the imports."""

import pytest
from django.test import Client

from levee.accounts.models import AccountOpeningRequest
from levee.agents.models import Agent
from levee.agents.roles import AgentRole
from levee.collection.models import ImportBatch
from levee.lib.uploads import MULTIPART_MARGIN
from levee.requests.models import RequestMessage, ServiceRequest

from .conftest import BO, make_request, plain, text

pytestmark = pytest.mark.django_db

PROOF = 5 * 1024 * 1024
JUST_OVER = PROOF + MULTIPART_MARGIN + 1


class Unreadable:
    """A request body that fails the test as soon as anything reads it."""

    def read(self, *args):
        raise AssertionError("the body was read")

    readline = read


def post_unread(client, url: str, length: int, **extra):
    """A multipart POST announcing `length` bytes, whose body cannot be read."""
    return client.generic(
        "POST",
        url,
        CONTENT_TYPE="multipart/form-data; boundary=----limite",
        CONTENT_LENGTH=str(length),
        **{"wsgi.input": Unreadable()},
        **extra,
    )


def counts() -> tuple:
    return (
        ServiceRequest.objects.count(),
        RequestMessage.objects.count(),
        AccountOpeningRequest.objects.count(),
        ImportBatch.objects.count(),
    )


def test_the_move_in_form_comes_back_with_its_proof_refused(client, world, settings):
    settings.PROOF_MAX_BYTES = PROOF
    response = post_unread(client, "/flandre-interieure/j-emmenage/", 12 * 1024 * 1024)
    body = text(response)
    assert response.status_code == 413
    assert "Le fichier envoyé est trop volumineux (12,0 Mo) : 5,0 Mo au plus." in body
    assert 'id="id_proof_error"' in body
    assert 'aria-describedby="id_proof_helptext id_proof_error"' in body
    assert 'aria-invalid="true"' in body
    assert counts() == (0, 0, 0, 0)


def test_the_opening_form_refuses_a_proof_too_large_with_a_french_page(client, world):
    url = "/pilat-rhodanien/ouvrir-un-compte/42168/42410/"
    response = post_unread(client, url, JUST_OVER, HTTP_REFERER="http://testserver" + url)
    assert response.status_code == 413
    page = plain(response)
    assert "Fichier trop volumineux" in page
    assert "Rien n'a été enregistré" in page
    assert f'href="http://testserver{url}"' in text(response)
    assert counts() == (0, 0, 0, 0)


def test_a_foreign_referer_is_not_offered_as_the_way_back(client, world):
    url = "/pilat-rhodanien/ouvrir-un-compte/42168/42410/"
    response = post_unread(client, url, JUST_OVER, HTTP_REFERER="https://ailleurs.example/")
    assert response.status_code == 413
    assert "ailleurs.example" not in text(response)
    assert f'href="{url}"' in text(response)


def test_a_resident_answer_and_the_agent_complement_refuse_it_too(client, world):
    service_request = make_request(world)
    client.force_login(world.resident)
    answer = f"/flandre-interieure/espace/suivi-de-mes-demandes/{service_request.pk}/repondre/"
    assert post_unread(client, answer, JUST_OVER).status_code == 413
    assert (
        post_unread(
            client, "/flandre-interieure/espace/associer/cle-d-activation/", JUST_OVER
        ).status_code
        == 413
    )
    client.force_login(world.ccfi_agent)
    complement = f"{BO}{service_request.pk}/complement/"
    assert post_unread(client, complement, JUST_OVER).status_code == 413
    assert counts() == (1, 0, 0, 0)


def test_the_move_in_answer_refuses_it_whatever_its_link(client, world):
    url = "/flandre-interieure/j-emmenage/ma-demande/nimporte/repondre/"
    assert post_unread(client, url, JUST_OVER).status_code == 413
    assert counts() == (0, 0, 0, 0)


def test_a_request_form_allows_the_files_of_its_type(client, world):
    """« Nous contacter » takes five attachments: one file's limit is not its form's."""
    client.force_login(world.resident)
    url = "/flandre-interieure/espace/mes-services/nous-contacter/"
    assert post_unread(client, url, 5 * PROOF + MULTIPART_MARGIN + 1).status_code == 413
    with pytest.raises(AssertionError, match="the body was read"):
        post_unread(client, url, 2 * PROOF)


def test_the_imports_still_refuse_it_through_the_whole_stack(client, world, settings):
    settings.IMPORT_MAX_BYTES = 1000
    Agent.objects.filter(user=world.ccfi_agent).update(role=AgentRole.ADMINISTRATEUR)
    client.force_login(world.ccfi_agent)
    response = post_unread(client, "/backoffice/imports/", 200_000)
    assert response.status_code == 413
    assert "Le fichier est trop volumineux (0,2 Mo)" in text(response)
    assert counts() == (0, 0, 0, 0)


def test_an_anonymous_visitor_is_still_sent_to_the_login(client, world):
    url = "/flandre-interieure/espace/mes-services/nous-contacter/"
    response = post_unread(client, url, 6 * PROOF)
    assert response.status_code == 302 and "/connexion/" in response["Location"]


def test_a_form_under_its_limit_keeps_its_csrf_check(world):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/flandre-interieure/j-emmenage/", {"email": "a@example.org"})
    assert response.status_code == 403
    assert counts() == (0, 0, 0, 0)


def test_a_form_under_its_limit_keeps_its_nul_check(client, world):
    response = client.post("/flandre-interieure/j-emmenage/", {"last_name": "Du\x00rand"})
    assert response.status_code == 400
    assert counts() == (0, 0, 0, 0)
