"""One grant and one revoke of a login's access to an account, whoever makes it: the
account's other logins are told in every case, and an agent's change is audited."""

import pytest
from django.core import mail

from levee.accounts.models import AccountAccess
from levee.accounts.services import account_access_grant, account_access_revoke
from levee.agents.models import Agent
from levee.agents.services import opening_request_accept
from levee.audit.models import AuditEntry
from testkit import ccfi_world, make_opening_request, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    ccfi, account = ccfi_world()
    agent = make_user("agent.flandre@example.org")
    Agent.objects.create(authority=ccfi, user=agent)
    holder = make_user("dupont59@gmail.com", accounts=[account])
    spouse = make_user("conjoint@example.org", accounts=[account])
    return {
        "authority": ccfi,
        "account": account,
        "agent": agent,
        "holder": holder,
        "spouse": spouse,
    }


def test_a_resident_dissociating_himself_tells_the_other_login(
    world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert account_access_revoke(user=world["spouse"], account=world["account"])
    assert [m.to for m in mail.outbox] == [["dupont59@gmail.com"]]
    assert "conjoint@example.org" in mail.outbox[0].body
    assert "00001" in mail.outbox[0].subject
    assert not AuditEntry.objects.exists()  # the resident's own change


def test_an_agent_removing_a_login_tells_the_other_login_and_is_audited(
    client, world, django_capture_on_commit_callbacks
):
    client.force_login(world["agent"])
    access = AccountAccess.objects.get(user=world["spouse"], account=world["account"])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/backoffice/comptes/{world['account'].pk}/dissocier/{access.pk}/")
    assert not AccountAccess.objects.filter(pk=access.pk).exists()
    assert [m.to for m in mail.outbox] == [["dupont59@gmail.com"]]
    entry = AuditEntry.objects.get(action="account.dissociate")
    assert entry.actor == world["agent"] and entry.before == {"login": "conjoint@example.org"}


def test_revoking_an_access_the_login_does_not_have_changes_nothing(world):
    stranger = make_user("autre@example.org")
    assert not account_access_revoke(user=stranger, account=world["account"], by=world["agent"])
    assert not AuditEntry.objects.exists() and mail.outbox == []


def test_a_grant_by_an_agent_tells_the_others_and_is_audited_once(
    world, django_capture_on_commit_callbacks
):
    newcomer = make_user("nouveau@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        assert account_access_grant(user=newcomer, account=world["account"], by=world["agent"])
        assert not account_access_grant(user=newcomer, account=world["account"], by=world["agent"])
    assert sorted(m.to[0] for m in mail.outbox) == ["conjoint@example.org", "dupont59@gmail.com"]
    assert AuditEntry.objects.filter(action="account.associate").count() == 1


def test_an_opening_request_linked_to_an_existing_account_tells_its_logins(
    world, django_capture_on_commit_callbacks
):
    bailleul = world["account"].subscriptions.get().commune
    requester = make_user("nouveau@example.org", active=False)
    opening = make_opening_request(world["authority"], bailleul, requester)
    with django_capture_on_commit_callbacks(execute=True):
        opening_request_accept(
            opening_request=opening, agent_user=world["agent"], account=world["account"]
        )
    told = sorted(m.to[0] for m in mail.outbox if "nouvel accès" in m.subject.lower())
    assert told == ["conjoint@example.org", "dupont59@gmail.com"]
    assert AccountAccess.objects.filter(user=requester, account=world["account"]).exists()
