import re
from html import unescape

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from levee.accounts.models import AccountOpeningRequest, OpeningStatus, User
from testkit import PASSWORD, PDF_BYTES, altcha_payload, pilat_world, proof_upload

pytestmark = pytest.mark.django_db

FORM = "/pilat-rhodanien/ouvrir-un-compte/42168/42410/"


def opening_data(**overrides):
    data = {
        "legal_form": "particulier",
        "civility": "M",
        "last_name": "Martin",
        "first_name": "Paul",
        "phone": "",
        "mobile": "06 12 34 56 78",
        "street": "rue du Pilat",
        "number": "12",
        "number_suffix": "bis",
        "complement": "",
        "email": "paul.martin@example.org",
        "password": PASSWORD,
        "password_confirm": PASSWORD,
        "cgu": "on",
        "altcha": altcha_payload(),
        "proof": proof_upload(),
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_it_finds_the_commune_typed_as_the_seed_does(client):
    pilat_world()
    for typed in ("42410 PÉLUSSIN", "42410", "pelussin"):
        response = client.get("/pilat-rhodanien/ouvrir-un-compte/", {"commune": typed})
        assert response.status_code == 302, typed
        assert response["Location"] == FORM


def test_it_refuses_a_commune_the_authority_does_not_serve(client):
    pilat_world()
    response = client.get("/pilat-rhodanien/ouvrir-un-compte/", {"commune": "75001 PARIS"})
    assert response.status_code == 200
    assert "n'est pas desservie" in unescape(response.content.decode())


def test_it_stores_the_request_and_sends_the_confirmation_link(
    client, django_capture_on_commit_callbacks
):
    pilat_world()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(FORM, opening_data())
    assert response.status_code == 302
    opening = AccountOpeningRequest.objects.get()
    assert opening.status == OpeningStatus.EMAIL_PENDING
    assert opening.proof_content_type == "image/png"
    assert opening.number_suffix == "bis"
    # No login before the email is confirmed: the request keeps the password's hash.
    assert opening.user is None and not User.objects.exists()
    assert opening.email == "paul.martin@example.org"
    assert opening.password.startswith("argon2") and PASSWORD not in opening.password
    assert len(mail.outbox) == 1
    path = "/" + re.search(r"https?://[^/]+/(\S+/confirmer/\S+/)", mail.outbox[0].body).group(1)
    with django_capture_on_commit_callbacks(execute=True):
        confirmed = client.get(path)
    assert "Votre demande d'inscription est confirmée" in unescape(confirmed.content.decode())
    opening.refresh_from_db()
    assert opening.status == OpeningStatus.PENDING
    assert not opening.user.is_active and opening.user.check_password(PASSWORD)
    assert (opening.user.first_name, opening.user.last_name) == ("Paul", "Martin")
    # A second click changes nothing and sends nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        client.get(path)
    assert len(mail.outbox) == 2
    # Not yet validated: the login says so.
    login = client.post(
        "/pilat-rhodanien/connexion/", {"email": "paul.martin@example.org", "password": PASSWORD}
    )
    assert "en cours de traitement" in unescape(login.content.decode())


def test_it_keeps_the_proof_out_of_any_public_url(client, settings):
    pilat_world()
    client.post(FORM, opening_data())
    opening = AccountOpeningRequest.objects.get()
    assert str(settings.PRIVATE_ROOT) in opening.proof.path
    assert client.get("/media/" + opening.proof.name).status_code == 404


def test_it_accepts_a_pdf(client):
    pilat_world()
    data = opening_data(
        proof=SimpleUploadedFile("facture.pdf", PDF_BYTES, content_type="application/pdf")
    )
    assert client.post(FORM, data).status_code == 302
    assert AccountOpeningRequest.objects.get().proof_content_type == "application/pdf"


@pytest.mark.parametrize(
    "upload, message",
    [
        (SimpleUploadedFile("vide.pdf", b"", content_type="application/pdf"), "vide"),
        (
            SimpleUploadedFile(
                "virus.pdf", b"MZ\x90\x00" + b"\x00" * 200, content_type="application/pdf"
            ),
            "ne correspond pas",
        ),
        (
            SimpleUploadedFile("photo.png", b"%PDF-1.4 fake", content_type="image/png"),
            "ne correspond pas",
        ),
        (
            SimpleUploadedFile(
                "script.exe", b"MZ\x90\x00", content_type="application/octet-stream"
            ),
            "PDF, JPEG ou PNG",
        ),
        (
            SimpleUploadedFile(
                "gros.pdf", b"%PDF-" + b"0" * (5 * 1024 * 1024 + 10), content_type="application/pdf"
            ),
            "5 Mo",
        ),
        (
            SimpleUploadedFile(
                "casse.png", b"\x89PNG\r\n\x1a\n" + b"garbage" * 10, content_type="image/png"
            ),
            "illisible",
        ),
    ],
)
def test_it_rejects_a_bad_proof_next_to_the_field(client, upload, message):
    pilat_world()
    response = client.post(FORM, opening_data(proof=upload))
    assert response.status_code == 200
    body = unescape(response.content.decode())
    assert 'id="id_proof_error"' in body and message in body
    assert not AccountOpeningRequest.objects.exists() and not User.objects.exists()
    assert 'value="Martin"' in body


def test_it_requires_the_proof(client):
    pilat_world()
    data = opening_data()
    del data["proof"]
    body = unescape(client.post(FORM, data).content.decode())
    assert "Joignez votre justificatif de domicile" in body
    assert not AccountOpeningRequest.objects.exists()


def test_it_requires_the_cgu(client):
    pilat_world()
    data = opening_data()
    del data["cgu"]
    body = unescape(client.post(FORM, data).content.decode())
    assert 'id="id_cgu_error"' in body and "conditions générales" in body
    assert not AccountOpeningRequest.objects.exists()


@pytest.mark.parametrize("payload", ["", "bm9wZQ==", "not base64 at all"])
def test_it_requires_the_robot_check(client, payload):
    pilat_world()
    body = unescape(client.post(FORM, opening_data(altcha=payload)).content.decode())
    assert "Je ne suis pas un robot" in body and 'id="id_altcha_error"' in body
    assert not AccountOpeningRequest.objects.exists()


def test_it_refuses_a_replayed_robot_check(client):
    pilat_world()
    payload = altcha_payload()
    assert client.post(FORM, opening_data(altcha=payload)).status_code == 302
    response = client.post(FORM, opening_data(altcha=payload, email="autre@example.org"))
    assert response.status_code == 200
    assert AccountOpeningRequest.objects.count() == 1


def test_it_stores_nothing_for_an_email_already_used_and_tells_its_owner(client):
    from levee.mailing.models import OutboxMessage
    from testkit import make_user

    pilat_world()
    make_user("paul.martin@example.org")
    response = client.post(FORM, opening_data())
    assert response.status_code == 302
    assert response["Location"] == "/pilat-rhodanien/ouvrir-un-compte/envoyee/"
    assert not AccountOpeningRequest.objects.exists()
    assert OutboxMessage.objects.get().template == "opening_existing"


@pytest.mark.parametrize(
    "path",
    [
        "/pilat-rhodanien/ouvrir-un-compte/99999/42410/",
        "/pilat-rhodanien/ouvrir-un-compte/42168/75001/",
        "/pilat-rhodanien/ouvrir-un-compte/%3Cscript%3E/1/",
    ],
)
def test_it_answers_404_for_a_commune_outside_the_authority(client, path):
    pilat_world()
    assert client.get(path).status_code == 404


def test_it_answers_a_forged_confirmation_link_with_a_clear_page(client):
    pilat_world()
    response = client.get("/pilat-rhodanien/ouvrir-un-compte/confirmer/forged-token/")
    assert response.status_code == 400
    assert "n'est plus valide" in unescape(response.content.decode())


def test_after_an_error_it_keeps_the_safe_answers_and_says_what_to_give_again(client):
    # Issue 12, item 11: both passwords and the proof were gone without a word.
    pilat_world()
    response = client.post(FORM, opening_data(mobile="pas un numéro", complement="Bâtiment B"))
    page = unescape(response.content.decode())
    assert response.status_code == 200 and not AccountOpeningRequest.objects.exists()
    for kept in (
        'value="Martin"',
        'value="Paul"',
        'value="rue du Pilat"',
        'value="12"',
        'value="Bâtiment B"',
        'value="paul.martin@example.org"',
        '<option value="bis" selected>',
        '<option value="M" selected>',
    ):
        assert kept in page, kept
    assert re.search(r'<input type="checkbox" name="cgu"[^>]*checked', page)
    assert PASSWORD not in page  # never written back into a page
    assert (
        'id="opening-give-again">Pour votre sécurité, saisissez à nouveau votre mot de passe '
        "et sa confirmation, joignez à nouveau votre justificatif et cochez à nouveau « Je ne "
        "suis pas un robot » : vos autres réponses sont conservées." in page
    )
    for name in ("password", "password_confirm", "proof"):
        described = re.search(rf'<input[^>]*name="{name}"[^>]*>', page).group(0)
        assert "opening-give-again" in described, name


def test_a_first_visit_asks_nothing_again(client):
    pilat_world()
    page = unescape(client.get(FORM).content.decode())
    assert "saisissez à nouveau" not in page and "opening-give-again" not in page
