from html import unescape

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from levee.accounts.models import AccountAccess, AccountOpeningRequest, OpeningStatus
from levee.agents.models import Agent
from levee.audit.models import AuditEntry
from levee.subscribers.models import Account
from testkit import (
    PASSWORD,
    ccfi_world,
    make_account,
    make_opening_request,
    make_user,
    pilat_world,
)

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return unescape(response.content.decode())


@pytest.fixture
def world():
    """Pilat with a pending request and its agent; CCFI with its own agent (the outsider)."""
    pilat, pelussin = pilat_world()
    ccfi, _ = ccfi_world()
    pilat_agent = make_user("agent.pilat@example.org")
    Agent.objects.create(authority=pilat, user=pilat_agent)
    ccfi_agent = make_user("agent.flandre@example.org")
    Agent.objects.create(authority=ccfi, user=ccfi_agent)
    requester = make_user("paul.martin@example.org", active=False)
    opening = make_opening_request(pilat, pelussin, requester)
    return {
        "pilat": pilat,
        "ccfi": ccfi,
        "pilat_agent": pilat_agent,
        "ccfi_agent": ccfi_agent,
        "requester": requester,
        "opening": opening,
    }


def test_it_logs_an_agent_in(client, world):
    response = client.post(
        "/backoffice/connexion/", {"email": "agent.pilat@example.org", "password": PASSWORD}
    )
    assert response.status_code == 302 and response["Location"] == "/backoffice/"


def test_it_refuses_a_resident_with_the_generic_message(client, world):
    make_user("habitant@example.org")
    response = client.post(
        "/backoffice/connexion/", {"email": "habitant@example.org", "password": PASSWORD}
    )
    assert "accès agent non autorisé" in text(response)
    assert "_auth_user_id" not in client.session


def test_it_throttles_repeated_wrong_passwords(client, world):
    for _ in range(20):
        client.post(
            "/backoffice/connexion/", {"email": "agent.pilat@example.org", "password": "Faux1@xxx"}
        )
    response = client.post(
        "/backoffice/connexion/", {"email": "agent.pilat@example.org", "password": PASSWORD}
    )
    assert "Trop de tentatives" in text(response)


def test_it_rejects_a_post_without_csrf_token(world):
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        "/backoffice/connexion/", {"email": "agent.pilat@example.org", "password": PASSWORD}
    )
    assert response.status_code == 403
    assert "Formulaire expiré" in text(response)


def test_it_lists_only_the_pending_requests_of_the_agents_authority(
    client, world, django_assert_num_queries
):
    client.force_login(world["pilat_agent"])
    response = client.get("/backoffice/")
    assert "MARTIN Paul" in text(response)
    client.force_login(world["ccfi_agent"])
    assert "MARTIN" not in text(client.get("/backoffice/"))


def test_the_dashboard_takes_the_same_queries_for_one_or_many_requests(
    client, world, django_assert_num_queries
):
    client.force_login(world["pilat_agent"])
    client.get("/backoffice/")
    with django_assert_num_queries(7) as one:
        client.get("/backoffice/")
    opening = world["opening"]
    for i in range(5):
        user = make_user(f"autre{i}@example.org", active=False)
        AccountOpeningRequest.objects.create(
            authority=opening.authority,
            user=user,
            status=OpeningStatus.PENDING,
            legal_form="particulier",
            civility="M",
            last_name=f"Nom{i}",
            commune=opening.commune,
            postal_code="42410",
            street="rue",
            proof=opening.proof.name,
            proof_content_type="image/png",
            cgu_accepted_at=timezone.now(),
        )
    with django_assert_num_queries(len(one.captured_queries)):
        response = client.get("/backoffice/")
    assert text(response).count("Traiter") == 6


@pytest.mark.parametrize("suffix", ["", "justificatif/"])
def test_an_agent_of_another_authority_gets_404(client, world, suffix):
    client.force_login(world["ccfi_agent"])
    assert client.get(f"/backoffice/ouvertures/{world['opening'].pk}/{suffix}").status_code == 404


@pytest.mark.parametrize("action", ["valider", "refuser"])
def test_an_agent_of_another_authority_cannot_decide(client, world, action):
    client.force_login(world["ccfi_agent"])
    response = client.post(
        f"/backoffice/ouvertures/{world['opening'].pk}/{action}/", {"account": "new", "reason": "x"}
    )
    assert response.status_code == 404
    world["opening"].refresh_from_db()
    assert world["opening"].status == OpeningStatus.PENDING


def test_a_resident_is_sent_to_the_agents_login(client, world):
    client.force_login(make_user("habitant@example.org"))
    response = client.get(f"/backoffice/ouvertures/{world['opening'].pk}/justificatif/")
    assert response.status_code == 302 and response["Location"].startswith("/backoffice/connexion/")


def test_it_serves_the_proof_inline_with_safe_headers(client, world):
    client.force_login(world["pilat_agent"])
    response = client.get(f"/backoffice/ouvertures/{world['opening'].pk}/justificatif/")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == "inline"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")


def test_accepting_creates_an_account_opens_the_login_and_emails(
    client, world, django_capture_on_commit_callbacks
):
    make_account(
        world["pilat"], code="10042", portal_key="VZKRTQPM", last_name="DUPONT", postal_code="42410"
    )
    client.force_login(world["pilat_agent"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/backoffice/ouvertures/{world['opening'].pk}/valider/", {"account": "new"}
        )
    assert response.status_code == 302
    opening = AccountOpeningRequest.objects.get(pk=world["opening"].pk)
    assert opening.status == OpeningStatus.ACCEPTED and opening.decided_by == world["pilat_agent"]
    account = opening.account
    assert account.code == "10043" and len(account.portal_key) == 8 and account.portal_key.isalpha()
    assert account.authority == world["pilat"] and account.subscriptions.count() == 1
    assert AccountAccess.objects.filter(user=world["requester"], account=account).exists()
    world["requester"].refresh_from_db()
    assert world["requester"].is_active
    (message,) = [m for m in mail.outbox if m.to == ["paul.martin@example.org"]]
    assert "http://127.0.0.1:8000/pilat-rhodanien/connexion/" in message.body
    assert (
        AuditEntry.objects.filter(
            action="opening_request.accept", actor=world["pilat_agent"]
        ).count()
        == 1
    )
    # Then the person logs in and sees his account.
    resident = Client()
    page = resident.post(
        "/pilat-rhodanien/connexion/",
        {"email": "paul.martin@example.org", "password": PASSWORD},
        follow=True,
    )
    assert f"Référence abonné : {account.code}" in text(page)


def test_accepting_can_link_an_existing_account(client, world):
    existing = make_account(
        world["pilat"], code="10042", portal_key="VZKRTQPM", last_name="MARTIN", postal_code="42410"
    )
    client.force_login(world["pilat_agent"])
    page = text(client.get(f"/backoffice/ouvertures/{world['opening'].pk}/"))
    assert "Compte 10042" in page
    client.post(
        f"/backoffice/ouvertures/{world['opening'].pk}/valider/", {"account": str(existing.pk)}
    )
    assert AccountOpeningRequest.objects.get(pk=world["opening"].pk).account == existing
    assert Account.objects.filter(authority=world["pilat"]).count() == 1


def test_accepting_cannot_link_an_account_of_another_authority(client, world):
    other = Account.objects.get(authority=world["ccfi"])
    client.force_login(world["pilat_agent"])
    response = client.post(
        f"/backoffice/ouvertures/{world['opening'].pk}/valider/", {"account": str(other.pk)}
    )
    assert response.status_code == 200 and "Choisissez un compte dans la liste" in text(response)
    assert AccountOpeningRequest.objects.get(pk=world["opening"].pk).status == OpeningStatus.PENDING


def test_accepting_twice_applies_once(client, world):
    client.force_login(world["pilat_agent"])
    url = f"/backoffice/ouvertures/{world['opening'].pk}/valider/"
    client.post(url, {"account": "new"})
    second = client.post(url, {"account": "new"}, follow=True)
    assert "Cette demande a déjà été traitée." in text(second)
    assert Account.objects.filter(authority=world["pilat"]).count() == 1
    assert AuditEntry.objects.count() == 1


def test_refusing_needs_a_reason(client, world):
    client.force_login(world["pilat_agent"])
    response = client.post(
        f"/backoffice/ouvertures/{world['opening'].pk}/refuser/", {"reason": "   "}
    )
    assert response.status_code == 200
    assert 'id="id_reason_error"' in text(response)
    assert AccountOpeningRequest.objects.get(pk=world["opening"].pk).status == OpeningStatus.PENDING


def test_refusing_emails_the_reason_and_keeps_the_login_closed(
    client, world, django_capture_on_commit_callbacks
):
    client.force_login(world["pilat_agent"])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            f"/backoffice/ouvertures/{world['opening'].pk}/refuser/",
            {"reason": "Justificatif illisible."},
        )
    opening = AccountOpeningRequest.objects.get(pk=world["opening"].pk)
    assert (
        opening.status == OpeningStatus.REFUSED
        and opening.refusal_reason == "Justificatif illisible."
    )
    (message,) = mail.outbox
    assert "Justificatif illisible." in message.body
    world["requester"].refresh_from_db()
    assert not world["requester"].is_active
