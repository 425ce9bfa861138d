from html import unescape

import pytest

from levee.accounts.models import AccountAccess
from levee.agents.models import Agent
from levee.audit.models import AuditEntry
from testkit import ccfi_world, make_user, pilat_world

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return unescape(response.content.decode())


@pytest.fixture
def world():
    ccfi, account = ccfi_world()
    pilat, _ = pilat_world()
    ccfi_agent = make_user("agent.flandre@example.org")
    Agent.objects.create(authority=ccfi, user=ccfi_agent)
    pilat_agent = make_user("agent.pilat@example.org")
    Agent.objects.create(authority=pilat, user=pilat_agent)
    resident = make_user("dupont59@gmail.com", accounts=[account])
    return {
        "account": account,
        "ccfi_agent": ccfi_agent,
        "pilat_agent": pilat_agent,
        "resident": resident,
    }


def test_an_agent_finds_an_account_of_his_authority(client, world):
    client.force_login(world["ccfi_agent"])
    assert "00001" in text(client.get("/backoffice/comptes/", {"q": "dupont"}))
    client.force_login(world["pilat_agent"])
    assert "00001" not in text(client.get("/backoffice/comptes/", {"q": "dupont"}))


@pytest.mark.parametrize("query", ["DUPONT Pierre", "pierre dupont", "Dupont  méteren", "00001"])
def test_an_account_is_found_by_its_name_as_the_list_writes_it(client, world, query):
    """« DUPONT PIERRE » is how the list names him: last and first name together find him,
    in any order, as does a name with a word of the street."""
    client.force_login(world["ccfi_agent"])
    assert "00001" in text(client.get("/backoffice/comptes/", {"q": query}))
    assert "00001" not in text(client.get("/backoffice/comptes/", {"q": "DUPONT Marie"}))


def test_regenerating_the_key_makes_the_old_one_stop_working(client, world):
    client.force_login(world["ccfi_agent"])
    response = client.post(f"/backoffice/comptes/{world['account'].pk}/nouvelle-cle/", follow=True)
    world["account"].refresh_from_db()
    assert world["account"].portal_key != "PSEMCSMJ"
    assert f"Nouvelle clé d'activation : {world['account'].portal_key}" in text(response)
    entry = AuditEntry.objects.get(action="account.key_regenerate")
    assert entry.before == {"portal_key": "(masquée)"} and entry.actor == world["ccfi_agent"]


def test_an_agent_dissociates_a_login(client, world):
    client.force_login(world["ccfi_agent"])
    access = AccountAccess.objects.get(account=world["account"])
    client.post(f"/backoffice/comptes/{world['account'].pk}/dissocier/{access.pk}/")
    assert not AccountAccess.objects.filter(pk=access.pk).exists()
    assert AuditEntry.objects.filter(action="account.dissociate").count() == 1


@pytest.mark.parametrize("suffix, method", [("", "get"), ("nouvelle-cle/", "post")])
def test_an_agent_of_another_authority_gets_404(client, world, suffix, method):
    client.force_login(world["pilat_agent"])
    response = getattr(client, method)(f"/backoffice/comptes/{world['account'].pk}/{suffix}")
    assert response.status_code == 404
    world["account"].refresh_from_db()
    assert world["account"].portal_key == "PSEMCSMJ"


def test_a_resident_cannot_reach_the_accounts(client, world):
    client.force_login(world["resident"])
    response = client.get(f"/backoffice/comptes/{world['account'].pk}/")
    assert response.status_code == 302 and "/backoffice/connexion/" in response["Location"]
