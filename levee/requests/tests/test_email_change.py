"""« Modifier mes coordonnées » with a new email: once accepted, the link sent to the new
address makes it the login identifier; an expired, forged or stale link, or an address
taken in between, changes nothing and says why in French."""

import re

import pytest
from django.core import mail

from levee.accounts.models import User
from levee.requests import services
from levee.requests.models import ServiceRequest
from testkit import PASSWORD, make_user

from .conftest import TRACKING, make_request, plain

pytestmark = pytest.mark.django_db


def confirm_path(to: str) -> str:
    message = next(m for m in reversed(mail.outbox) if to in m.to)
    return re.search(r"https?://[^/]+(/\S*/confirmer-mon-email/\S+/)", message.body).group(1)


@pytest.fixture
def accepted(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        service_request = make_request(world, "contact_details")
        services.service_request_accept(
            service_request=service_request, agent_user=world.ccfi_agent
        )
    return service_request


def login(client, email: str):
    return client.post(
        "/flandre-interieure/connexion/", {"email": email, "password": PASSWORD}, follow=True
    )


def test_following_the_link_makes_the_new_email_the_login(
    client, world, accepted, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(confirm_path("dupontDU59@gmail.com"), follow=True)
    assert (
        "Votre adresse email est confirmée : connectez-vous désormais avec dupontDU59@gmail.com"
        in plain(response)
    )
    world.resident.refresh_from_db()
    world.account.refresh_from_db()
    assert world.resident.email == "dupontDU59@gmail.com"
    assert world.account.email == "dupontDU59@gmail.com"
    assert "dupont59@gmail.com" in mail.outbox[-1].to  # the old address is told
    assert "Votre identifiant de connexion a changé" in mail.outbox[-1].subject
    page = plain(login(client, "dupontDU59@gmail.com"))
    assert "PIERRE DUPONT - dupontDU59@gmail.com | Référence abonné : 00001" in page
    client.logout()
    assert "Référence abonné" not in plain(login(client, "dupont59@gmail.com"))
    client.force_login(world.resident)
    detail = plain(client.get(f"{TRACKING}{accepted.pk}/"))
    assert "dupontDU59@gmail.com est confirmée : c'est votre identifiant de connexion." in detail


def test_until_the_link_is_followed_the_old_email_stays_the_login(client, world, accepted):
    page = plain(login(client, "dupont59@gmail.com"))
    assert "PIERRE DUPONT - dupont59@gmail.com" in page
    detail = plain(client.get(f"{TRACKING}{accepted.pk}/"))
    assert "Pour que dupontDU59@gmail.com devienne votre identifiant de connexion" in detail


def test_a_link_followed_twice_says_it_is_already_done(client, accepted):
    path = confirm_path("dupontDU59@gmail.com")
    client.get(path)
    response = client.get(path, follow=True)
    assert "Votre adresse email dupontDU59@gmail.com était déjà confirmée." in plain(response)


def test_an_expired_link_changes_nothing_and_a_new_one_can_be_asked(
    client, world, accepted, settings, django_capture_on_commit_callbacks
):
    path = confirm_path("dupontDU59@gmail.com")
    settings.PASSWORD_RESET_TIMEOUT = -1
    response = client.get(path)
    assert response.status_code == 400
    assert "Ce lien a expiré." in plain(response)
    world.resident.refresh_from_db()
    assert world.resident.email == "dupont59@gmail.com"
    settings.PASSWORD_RESET_TIMEOUT = 3 * 24 * 3600
    client.force_login(world.resident)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{TRACKING}{accepted.pk}/nouveau-lien/", follow=True)
    assert "Un nouveau lien de confirmation est envoyé à dupontDU59@gmail.com." in plain(response)
    new_path = confirm_path("dupontDU59@gmail.com")
    client.get(new_path)
    world.resident.refresh_from_db()
    assert world.resident.email == "dupontDU59@gmail.com"


@pytest.mark.parametrize(
    "mangle",
    [
        lambda p: p.replace("/confirmer-mon-email/", "/confirmer-mon-email/x"),
        lambda p: p.replace("flandre-interieure", "pilat-rhodanien"),
    ],
)
def test_a_forged_link_or_one_of_another_authority_is_refused(client, world, accepted, mangle):
    response = client.get(mangle(confirm_path("dupontDU59@gmail.com")))
    assert response.status_code == 400
    assert "Ce lien n'est pas valide." in plain(response)
    world.resident.refresh_from_db()
    assert world.resident.email == "dupont59@gmail.com"


def test_an_address_taken_before_the_link_is_followed_is_refused_in_french(client, world, accepted):
    make_user("dupontdu59@gmail.com")  # someone signed up with it in the meantime
    response = client.get(confirm_path("dupontDU59@gmail.com"))
    assert response.status_code == 400
    assert (
        "dupontDU59@gmail.com : Cette adresse email est déjà utilisée par un autre identifiant."
        in plain(response)
    )
    assert "Votre identifiant de connexion n'a pas changé." in plain(response)
    world.resident.refresh_from_db()
    assert world.resident.email == "dupont59@gmail.com"
    assert User.objects.filter(email__iexact="dupontdu59@gmail.com").count() == 1


def test_a_link_whose_login_changed_since_no_longer_applies(client, world, accepted):
    User.objects.filter(pk=world.resident.pk).update(email="autre@example.org")
    response = client.get(confirm_path("dupontDU59@gmail.com"))
    assert response.status_code == 400
    assert "Votre identifiant a changé depuis l'envoi de ce lien" in plain(response)
    assert User.objects.get(pk=world.resident.pk).email == "autre@example.org"


def test_phones_only_apply_at_once_without_any_link(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        service_request = make_request(world, "contact_details", email="dupont59@gmail.com")
        services.service_request_accept(
            service_request=service_request, agent_user=world.ccfi_agent
        )
    assert not any("/confirmer-mon-email/" in m.body for m in mail.outbox)
    assert ServiceRequest.objects.get().outcome == {}
    world.account.refresh_from_db()
    assert world.account.mobile == "0600000007"
