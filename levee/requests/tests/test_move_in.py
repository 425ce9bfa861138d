"""« J'emménage » (flow 13): a newcomer without an account asks from the authority's home;
his email is confirmed before the agents see the request; acceptance opens the account and
its subscription and mails him his code usager and identifiant portail, with which he
creates his space."""

import base64
import datetime
import re
import time
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from levee.audit.models import AuditEntry
from levee.lib import throttle
from levee.mailing.models import OutboxMessage
from levee.requests.models import RequestMessage, RequestStatus, ServiceRequest
from levee.subscribers.models import Account, Subscription
from testkit import PASSWORD, altcha_payload, make_user, proof_upload

from .conftest import BO, plain, text

pytestmark = pytest.mark.django_db

MOVE_IN = "/flandre-interieure/j-emmenage/"


def moved_in_on() -> str:
    return (timezone.localdate() + datetime.timedelta(days=10)).isoformat()


def post(**overrides) -> dict:
    data = {
        "q": "59190 Hazebrouck",
        "number": "3",
        "number_suffix": "bis",
        "street": "rue de la Gare",
        "complement": "",
        "moved_in_on": moved_in_on(),
        "civility": "Mme",
        "last_name": "Durand",
        "first_name": "Jeanne",
        "household_size": "3",
        "email": "jeanne.durand@example.org",
        "phone": "06 11 22 33 44",
        "proof": proof_upload("bail.png"),
        "altcha": altcha_payload(),
    }
    data.update(overrides)
    return data


def link(template: str, contains: str) -> str:
    message = OutboxMessage.objects.filter(template=template).latest("pk")
    return re.search(
        r"https?://[^/\s]+(/\S*" + re.escape(contains) + r"\S*)", message.body_text
    ).group(1)


@pytest.fixture
def asked(client, world):
    response = client.post(MOVE_IN, post(), follow=True)
    assert response.redirect_chain[-1][0] == "/flandre-interieure/j-emmenage/envoyee/"
    return ServiceRequest.objects.get()


@pytest.fixture
def confirmed(client, asked):
    client.get(link("move_in_confirm", "/j-emmenage/confirmer/"))
    asked.refresh_from_db()
    return asked


def test_the_authority_home_leads_to_the_form(client, world):
    assert 'href="/flandre-interieure/j-emmenage/"' in text(client.get("/flandre-interieure/"))
    page = plain(client.get(MOVE_IN))
    assert "J'emménage" in page
    for label in (
        "Commune",
        "Date d'emménagement",
        "Civilité",
        "Nom",
        "Prénom",
        "Nombre de personnes du foyer",
        "Email",
        "Téléphone",
        "Justificatif de domicile",
        "Confirmez que vous n'êtes pas un robot",
    ):
        assert label in page
    page = text(client.get(MOVE_IN))
    assert '"label": "Je ne suis pas un robot"' in page  # the ALTCHA widget's words
    assert 'class="commune-finder"' in page and 'data-authority="flandre-interieure"' in page
    assert 'id="commune-q" name="q"' in page and "js/commune-picker.js" in page


def test_a_request_waits_for_its_email_before_the_agents_see_it(client, world, asked):
    assert asked.status == RequestStatus.UNCONFIRMED
    assert asked.account is None and asked.requested_by is None
    assert asked.email == "jeanne.durand@example.org"
    assert asked.commune.name == "Hazebrouck"
    assert asked.requested["address"] == "3 BIS RUE DE LA GARE 59190 HAZEBROUCK"
    assert asked.requested["phone"] == "0611223344"
    assert RequestMessage.objects.get().attachment_name == "bail.png"
    assert [m.template for m in OutboxMessage.objects.all()] == ["move_in_confirm"]
    page = plain(client.get("/flandre-interieure/j-emmenage/envoyee/"))
    assert "Un email contenant un lien vient d'être envoyé à jeanne.durand@example.org" in page
    client.force_login(world.ccfi_agent)
    for query in ("", "?statut=", "?statut=unconfirmed"):
        assert "DURAND" not in text(client.get(BO + query))
    assert "Emménagement" not in plain(client.get("/backoffice/"))


def test_the_link_confirms_it_once_and_opens_its_page(client, world, asked):
    path = link("move_in_confirm", "/j-emmenage/confirmer/")
    response = client.get(path, follow=True)
    page = plain(response)
    assert "Votre adresse email est confirmée : votre demande est transmise" in page
    assert "Statut : EN COURS" in page
    assert "Adresse habitation 3 BIS RUE DE LA GARE 59190 HAZEBROUCK" in page
    asked.refresh_from_db()
    assert asked.status == RequestStatus.PENDING
    assert [(c.from_status, c.to_status) for c in asked.status_changes.all()] == [
        ("", "unconfirmed"),
        ("unconfirmed", "pending"),
    ]
    received = OutboxMessage.objects.get(template="request_received")
    assert (
        received.to == "jeanne.durand@example.org"
        and "/j-emmenage/ma-demande/" in received.body_text
    )
    assert "déjà confirmée" in plain(client.get(path, follow=True))
    assert OutboxMessage.objects.filter(template="request_received").count() == 1
    client.force_login(world.ccfi_agent)
    assert "Sans compte — DURAND JEANNE" in plain(client.get(BO))


@pytest.mark.parametrize("token", ["abc", "x" * 300, "%00"])
def test_a_forged_link_changes_nothing(client, asked, token):
    for path in (f"{MOVE_IN}confirmer/{token}/", f"{MOVE_IN}ma-demande/{token}/"):
        response = client.get(path)
        assert response.status_code in (400, 404)
    asked.refresh_from_db()
    assert asked.status == RequestStatus.UNCONFIRMED


def test_an_expired_link_says_so(client, asked, settings):
    settings.PASSWORD_RESET_TIMEOUT = -1
    response = client.get(link("move_in_confirm", "/j-emmenage/confirmer/"))
    assert response.status_code == 400
    assert "Ce lien a expiré. Refaites votre demande avec la même adresse email" in plain(response)
    asked.refresh_from_db()
    assert asked.status == RequestStatus.UNCONFIRMED


def test_asking_again_with_the_same_email_sends_the_link_again(client, world, asked):
    client.post(MOVE_IN, post(first_name="Jeanne-Marie"))
    assert ServiceRequest.objects.count() == 1
    assert OutboxMessage.objects.filter(template="move_in_confirm").count() == 2
    client.get(link("move_in_confirm", "/j-emmenage/confirmer/"))
    client.post(MOVE_IN, post())
    assert ServiceRequest.objects.count() == 1
    resent = OutboxMessage.objects.get(template="request_link")
    assert (
        resent.to == "jeanne.durand@example.org" and "/j-emmenage/ma-demande/" in resent.body_text
    )


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({"street": "   "}, "street", "Ce champ est obligatoire."),
        ({"moved_in_on": "2000-01-01"}, "moved_in_on", "à moins d'un an d'aujourd'hui"),
        ({"moved_in_on": "hier"}, "moved_in_on", "Saisissez une date valide"),
        ({"civility": ""}, "civility", "Choisissez votre civilité."),
        ({"last_name": ""}, "last_name", "Ce champ est obligatoire."),
        ({"household_size": "0"}, "household_size", "supérieure ou égale à 1"),
        ({"household_size": ""}, "household_size", "Indiquez le nombre de personnes du foyer."),
        ({"email": "jeanne@"}, "email", "Saisissez une adresse de courriel valide."),
        ({"phone": "12"}, "phone", "Saisissez un numéro à 10 chiffres"),
        ({"proof": SimpleUploadedFile("bail.png", b"%PDF-1.4")}, "proof", "ne correspond pas"),
        ({"altcha": ""}, "altcha", "Cochez « Je ne suis pas un robot »"),
        ({"altcha": "bm9uc2Vuc2U="}, "altcha", "Cochez « Je ne suis pas un robot »"),
    ],
)
def test_bad_input_is_refused_in_french(client, world, overrides, field, message):
    response = client.post(MOVE_IN, post(**overrides))
    assert response.status_code == 200
    assert message in text(response) and f"id_{field}_error" in text(response)
    assert not ServiceRequest.objects.exists() and not OutboxMessage.objects.exists()


def test_a_solved_challenge_serves_once(client, world):
    payload = altcha_payload()
    client.post(MOVE_IN, post(altcha=payload))
    response = client.post(MOVE_IN, post(altcha=payload, email="autre@example.org"))
    assert "Cochez « Je ne suis pas un robot »" in text(response)
    assert ServiceRequest.objects.count() == 1


def test_it_is_throttled(client, world):
    for _ in range(throttle.MOVE_IN.max_attempts):
        throttle.hit(throttle.MOVE_IN, "127.0.0.1")
    response = client.post(MOVE_IN, post())
    assert "Trop de tentatives" in text(response)
    assert not ServiceRequest.objects.exists()


def test_the_agent_reads_it_and_the_address_still_subscribed(client, world):
    response = client.post(
        MOVE_IN,
        post(q="59270 Bailleul", number="29", number_suffix="", street="Route de Méteren"),
        follow=True,
    )
    assert response.status_code == 200
    client.get(link("move_in_confirm", "/j-emmenage/confirmer/"))
    service_request = ServiceRequest.objects.get()
    client.force_login(world.ccfi_agent)
    page = plain(client.get(f"{BO}{service_request.pk}/"))
    assert "J'emménage — sans compte, DURAND JEANNE" in page
    assert "de jeanne.durand@example.org (sans identifiant de connexion)" in page
    assert "Nombre de personnes du foyer — 3" in page
    assert "Un compte usager sera créé pour DURAND Jeanne" in page
    assert (
        "Attention : l'abonnement 00001 du compte 00001 (DUPONT PIERRE) est toujours en cours"
        in page
    )
    assert "bail.png" in page


def test_accepting_opens_the_account_and_mails_its_references(client, world, confirmed):
    client.force_login(world.ccfi_agent)
    response = client.post(f"{BO}{confirmed.pk}/accepter/", follow=True)
    assert "Demande acceptée" in plain(response)
    account = Account.objects.get(last_name="Durand")
    assert account.code == "00003" and len(account.portal_key) == 8
    assert (account.civility, account.first_name, account.household_size) == ("Mme", "Jeanne", 3)
    assert (account.mobile, account.phone, account.email) == (
        "0611223344",
        "",
        "jeanne.durand@example.org",
    )
    assert account.billing_address_line == "3 bis rue de la Gare 59190 Hazebrouck"
    subscription = Subscription.objects.get(account=account)
    assert subscription.reference == "00003" and subscription.kind == "bac"
    assert subscription.subscribed_on == datetime.date.fromisoformat(moved_in_on())
    assert subscription.commune.name == "Hazebrouck"
    # Paid on receipt of its invoices until a mandate is signed, never « non renseigné ».
    assert subscription.get_payment_mode_display() == "À réception de facture"
    confirmed.refresh_from_db()
    assert confirmed.account == account and confirmed.status == RequestStatus.ACCEPTED
    audit = AuditEntry.objects.get()
    assert audit.after["applied"]["account"] == "00003"
    assert account.portal_key not in str(audit.after)
    mail = OutboxMessage.objects.get(template="request_accepted")
    assert mail.to == "jeanne.durand@example.org"
    assert "votre compte usager 00003 est ouvert" in mail.body_text
    assert f"Votre identifiant portail : {account.portal_key}" in mail.body_text
    assert "/flandre-interieure/creer-mon-espace/" in mail.body_text
    assert "« DURAND » comme nom" in mail.body_text
    # The newcomer follows his request (never shown his key there) and creates his space.
    page = text(client.get(link("request_accepted", "/j-emmenage/ma-demande/")))
    assert "ACCEPTÉ" in page and "Votre compte usager 00003 est ouvert" in page
    assert account.portal_key not in page
    client.logout()
    response = client.post(
        "/flandre-interieure/creer-mon-espace/",
        {
            "email": "jeanne.durand@example.org",
            "password": PASSWORD,
            "password_confirm": PASSWORD,
            "name": "DURAND",
            "portal_key": account.portal_key,
        },
    )
    assert response.status_code == 302 and response["Location"].endswith("/envoye/")


def test_the_newcomer_answers_a_complement_from_his_link(client, world, confirmed):
    client.force_login(world.ccfi_agent)
    client.post(
        f"{BO}{confirmed.pk}/complement/",
        {"body": "Le bail n'est pas signé : joignez la page des signatures."},
    )
    client.logout()
    follow = link("request_complement", "/j-emmenage/ma-demande/")
    page = plain(client.get(follow))
    assert "EN ATTENTE DE COMPLÉMENT" in page and "Répondre à la demande de complément" in page
    response = client.post(f"{follow}repondre/", {"body": "   "})
    assert "Écrivez votre message." in text(response)
    response = client.post(
        f"{follow}repondre/",
        {"body": "Voici la page signée.", "attachment": proof_upload("signatures.png")},
        follow=True,
    )
    assert "Votre réponse est transmise" in plain(response)
    confirmed.refresh_from_db()
    assert confirmed.status == RequestStatus.PENDING
    answer = RequestMessage.objects.get(author_role="resident", body="Voici la page signée.")
    assert answer.author is None
    download = client.get(f"{follow}pieces-jointes/{answer.pk}/")
    assert download.status_code == 200 and download["Content-Type"] == "image/png"
    # A message of another request is not reached through this link.
    other = RequestMessage.objects.create(
        authority=world.ccfi,
        service_request=ServiceRequest.objects.create(
            authority=world.ccfi, account=world.account, kind="contact"
        ),
        author_role="resident",
        body="x",
        attachment="requests/x.png",
    )
    assert client.get(f"{follow}pieces-jointes/{other.pk}/").status_code == 404


def test_another_authoritys_agent_reaches_nothing(client, world, confirmed):
    client.force_login(world.pilat_agent)
    assert client.get(f"{BO}{confirmed.pk}/").status_code == 404
    assert client.post(f"{BO}{confirmed.pk}/accepter/").status_code == 404
    confirmed.refresh_from_db()
    assert confirmed.status == RequestStatus.PENDING


def test_a_link_signed_for_another_address_reaches_nothing(client, world, confirmed):
    from levee.requests.tokens import move_in_follow_token

    token = move_in_follow_token(service_request_pk=confirmed.pk, email="autre@example.org")
    response = client.get(f"{MOVE_IN}ma-demande/{token}/")
    assert response.status_code == 400 and "Ce lien n'est pas valide." in plain(response)
    assert "DURAND" not in text(response).upper()
    token = move_in_follow_token(service_request_pk=confirmed.pk, email=confirmed.email)
    response = client.get(f"/pilat-rhodanien/j-emmenage/ma-demande/{token}/")
    assert response.status_code == 400 and "DURAND" not in text(response).upper()


def follow_link(client) -> str:
    response = client.get(link("move_in_confirm", "/j-emmenage/confirmer/"))
    assert response.status_code == 302
    return response["Location"]


def test_the_follow_link_carries_no_readable_email(client, world, asked):
    path = follow_link(client)
    token = path.rstrip("/").rsplit("/", 1)[-1]
    readable = [token]
    for part in token.split(":"):
        try:
            readable.append(
                base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)).decode("latin-1")
            )
        except ValueError:
            pass
    for seen in readable:
        assert "jeanne" not in seen.lower() and "example.org" not in seen
    assert "Statut : EN COURS" in plain(client.get(path))


def test_the_follow_link_expires_after_six_weeks(client, world, asked):
    path = follow_link(client)
    later = time.time() + 43 * 24 * 3600
    with mock.patch("django.core.signing.time.time", return_value=later):
        response = client.get(path)
    assert response.status_code == 400
    assert "Ce lien a expiré : ouvrez le lien du dernier email reçu" in plain(response)
    earlier = time.time() + 41 * 24 * 3600
    with mock.patch("django.core.signing.time.time", return_value=earlier):
        assert client.get(path).status_code == 200


def test_a_link_of_the_first_version_says_it_has_expired(client, world, confirmed):
    """The old links carried the address, readable, for a year: they no longer open."""
    from django.core import signing

    old = signing.dumps(
        {"r": confirmed.pk, "e": confirmed.email},
        salt="levee.requests.move-in-follow",
        compress=True,
    )
    response = client.get(f"{MOVE_IN}ma-demande/{old}/")
    assert response.status_code == 400
    assert "Ce lien a expiré" in plain(response)
    assert "DURAND" not in text(response).upper()


def test_a_known_email_gets_the_same_page_and_an_email_saying_what_to_do(client, world):
    make_user("jeanne.durand@example.org")
    response = client.post(MOVE_IN, post(email="Jeanne.Durand@example.org"), follow=True)
    assert response.redirect_chain[-1][0] == "/flandre-interieure/j-emmenage/envoyee/"
    page = plain(response)
    assert "Un email contenant un lien vient d'être envoyé à Jeanne.Durand@example.org" in page
    message = OutboxMessage.objects.get()
    assert message.template == "move_in_existing"
    assert "Je signale mon déménagement" in message.body_text
    assert "/flandre-interieure/connexion/" in message.body_text
    # Really new to this authority: the link of the email carries on.
    response = client.get(link("move_in_existing", "/j-emmenage/confirmer/"), follow=True)
    assert "Votre adresse email est confirmée" in plain(response)
    assert ServiceRequest.objects.get().status == RequestStatus.PENDING


def test_an_unknown_email_gets_the_confirmation_email(client, world, asked):
    assert [m.template for m in OutboxMessage.objects.all()] == ["move_in_confirm"]


def test_one_address_is_throttled_from_any_client(client, world):
    for _ in range(throttle.MOVE_IN.max_attempts):
        throttle.hit(throttle.MOVE_IN, "jeanne.durand@example.org")
    response = client.post(MOVE_IN, post(), REMOTE_ADDR="10.0.0.9")
    assert "Trop de tentatives" in text(response)
    assert not ServiceRequest.objects.exists() and not OutboxMessage.objects.exists()
