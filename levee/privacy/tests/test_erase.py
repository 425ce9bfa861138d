"""« Supprimer mon identifiant »: the password again, then the login and its personal data
go, the accounts stay with the authority, a confirmation is mailed; an agent is refused."""

import pytest
from django.contrib.sessions.models import Session

from levee.accounts.models import AccountAccess, AccountOpeningRequest, User
from levee.agents.models import Agent
from levee.agents.roles import AgentRole
from levee.audit.models import AuditEntry
from levee.audit.services import audit_write
from levee.lib.storage import private_storage
from levee.mailing.models import OutboxMessage
from levee.privacy.models import Connection
from levee.requests.models import RequestStatus, ServiceRequest
from levee.subscribers.models import Account
from levee.tokens.models import PersonalAccessToken
from levee.tokens.services import token_authenticate, token_create
from testkit import PASSWORD, make_opening_request, make_user, pilat_world

from .conftest import make_request_with_attachment, text

pytestmark = pytest.mark.django_db

URL = "/flandre-interieure/espace/mon-profil/supprimer-mon-identifiant/"


def erase(client, password=PASSWORD, **kwargs):
    return client.post(URL, {"password": password}, **kwargs)


def test_the_page_asks_for_the_password_again(client, world):
    client.force_login(world[2])
    page = text(client.get(URL))
    assert "Supprimer mon identifiant" in page
    assert 'autocomplete="current-password"' in page
    assert "Vos comptes usagers restent gérés par la collectivité" in page


def test_a_wrong_password_erases_nothing_and_says_so_next_to_the_field(client, world):
    _, _, user = world
    client.force_login(user)
    response = erase(client, password="Mauvais-1!")
    assert response.status_code == 200
    page = text(response)
    assert 'id="id_password_error"' in page and "Mot de passe incorrect." in page
    assert 'aria-invalid="true"' in page
    assert User.objects.filter(pk=user.pk).exists()


def test_the_login_and_its_personal_data_go_and_the_accounts_stay(
    client, world, django_capture_on_commit_callbacks
):
    authority, account, user = world
    pilat, pelussin = pilat_world()
    opening = make_opening_request(pilat, pelussin, user)
    decided, _ = make_request_with_attachment(
        authority, account, user, status=RequestStatus.ACCEPTED
    )
    own, own_message = make_request_with_attachment(
        authority, None, user, kind="key_request", status=RequestStatus.PENDING
    )
    other_browser = client.__class__()
    other_browser.force_login(user)
    client.force_login(user)
    assert Connection.objects.filter(user=user).count() == 2
    files = [opening.proof.name, own_message.attachment.name]

    with django_capture_on_commit_callbacks(execute=True):
        response = erase(client, follow=True)

    assert "Votre identifiant est supprimé." in text(response)
    assert not User.objects.filter(pk=user.pk).exists()
    assert not AccountAccess.objects.filter(account=account).exists()
    assert not Connection.objects.exists()
    assert not AccountOpeningRequest.objects.filter(pk=opening.pk).exists()
    assert not ServiceRequest.objects.filter(pk=own.pk).exists()
    assert not any(private_storage.exists(name) for name in files)
    assert not [
        s for s in Session.objects.all() if s.get_decoded().get("_auth_user_id") == str(user.pk)
    ]
    # The account, and the request the authority decided, stay with the authority.
    assert Account.objects.filter(pk=account.pk).exists()
    decided.refresh_from_db()
    assert decided.requested_by is None
    message = OutboxMessage.objects.get(template="account_deleted")
    assert message.to == "dupont59@gmail.com"
    assert "votre identifiant dupont59@gmail.com est supprimé" in message.body_text
    # Logged out everywhere.
    assert client.get("/flandre-interieure/espace/").status_code == 302
    assert other_browser.get("/flandre-interieure/espace/").status_code == 302


def test_an_active_agent_is_refused_with_an_explanation(client, world):
    authority, _, user = world
    Agent.objects.create(authority=authority, user=user, role=AgentRole.ACCUEIL)
    client.force_login(user)
    assert "un administrateur de votre collectivité" in text(client.get(URL))
    response = erase(client)
    assert response.status_code == 403
    assert User.objects.filter(pk=user.pk, is_active=True).exists()
    assert not OutboxMessage.objects.filter(template="account_deleted").exists()


def test_a_former_agent_named_by_the_audit_log_is_anonymised_rather_than_refused(
    client, world, django_capture_on_commit_callbacks
):
    authority, account, user = world
    agent = Agent.objects.create(
        authority=authority, user=user, role=AgentRole.ACCUEIL, is_active=False
    )
    audit_write(authority=authority, actor=user, action="agent.add", obj=agent, after={})
    secret = token_create(user=user, name="Domotique").secret
    client.force_login(user)

    with django_capture_on_commit_callbacks(execute=True):
        response = erase(client)

    assert response.status_code == 302
    kept = User.objects.get(pk=user.pk)
    assert kept.email == f"identifiant-supprime-{user.pk}@levee.invalid"
    assert (kept.first_name, kept.last_name) == ("", "")
    assert not kept.is_active and not kept.has_usable_password()
    assert not AccountAccess.objects.filter(user=kept).exists()
    assert not Connection.objects.filter(user=kept).exists()
    assert not PersonalAccessToken.objects.filter(user=kept).exists()
    assert token_authenticate(secret) is None
    assert AuditEntry.objects.filter(actor=kept).count() == 1
    assert Account.objects.filter(pk=account.pk).exists()


def test_an_agent_acting_on_behalf_cannot_erase_the_residents_login(client, world):
    from django.utils import timezone

    from levee.agents.on_behalf import marker_new
    from levee.space.on_behalf import SESSION_KEY

    authority, account, user = world
    agent_user = make_user("jeanne.leroy@flandre.example.org")
    agent = Agent.objects.create(authority=authority, user=agent_user, role=AgentRole.ACCUEIL)
    client.force_login(agent_user)
    session = client.session
    session[SESSION_KEY] = marker_new(agent=agent, account=account, now=timezone.now())
    session.save()
    assert erase(client).status_code == 403
    assert User.objects.filter(pk__in=[user.pk, agent_user.pk]).count() == 2
