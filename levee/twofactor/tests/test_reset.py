"""An « Administrateur » resets an agent's second factor on the « Agents » page (audited);
never another authority's agent, nor his own without presenting it."""

import re

import pytest
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from levee.audit.models import AuditEntry
from levee.twofactor.services import recovery_codes_new

from .conftest import enrolled, next_code, text

pytestmark = pytest.mark.django_db


def verified_client(client, user, device):
    client.force_login(user)
    client.post("/securite/code/", {"code": next_code(device)})
    return client


def test_an_administrator_resets_an_agents_factor_audited(client, world, required):
    admin_device = enrolled(world.admin.user)
    enrolled(world.desk.user)
    recovery_codes_new(user=world.desk.user)
    verified_client(client, world.admin.user, admin_device)
    page = re.sub(r"<[^>]+>", "", text(client.get("/backoffice/agents/")))
    assert "Réinitialiser la double authentification de accueil@flandre.example.org" in page

    response = client.post(f"/backoffice/agents/{world.desk.pk}/double-authentification/")
    assert response.url == "/backoffice/agents/"
    assert not TOTPDevice.objects.filter(user=world.desk.user).exists()
    assert not StaticDevice.objects.filter(user=world.desk.user).exists()
    entry = AuditEntry.objects.get(action="agent.second_factor_reset")
    assert entry.authority == world.ccfi
    assert entry.actor == world.admin.user
    assert entry.object_id == str(world.desk.pk)
    assert "accueil@flandre.example.org est réinitialisée" in text(
        client.get("/backoffice/agents/")
    )


def test_the_agent_reset_enrols_again_at_his_next_page(client, world, required):
    device = enrolled(world.desk.user)
    verified_client(client, world.desk.user, device)
    assert client.get("/backoffice/").status_code == 200
    from levee.twofactor.services import second_factor_reset

    second_factor_reset(user=world.desk.user, by=world.admin.user, agent=world.desk)
    assert client.get("/backoffice/").url.startswith("/securite/activer/")


def test_an_administrator_of_another_authority_cannot_reset(client, world, required):
    outsider_device = enrolled(world.outsider.user)
    enrolled(world.desk.user)
    verified_client(client, world.outsider.user, outsider_device)
    response = client.post(f"/backoffice/agents/{world.desk.pk}/double-authentification/")
    assert response.status_code == 404
    assert TOTPDevice.objects.filter(user=world.desk.user).exists()
    assert not AuditEntry.objects.filter(action="agent.second_factor_reset").exists()


def test_an_agent_who_is_not_administrator_cannot_reset(client, world, required):
    desk_device = enrolled(world.desk.user)
    enrolled(world.admin.user)
    verified_client(client, world.desk.user, desk_device)
    response = client.post(f"/backoffice/agents/{world.admin.pk}/double-authentification/")
    assert response.status_code == 403
    assert TOTPDevice.objects.filter(user=world.admin.user).exists()


def test_an_administrator_cannot_reset_his_own_without_his_factor(client, world):
    # The demo's setting: he is in without a code, so his own factor stays.
    enrolled(world.admin.user)
    client.force_login(world.admin.user)
    response = client.post(
        f"/backoffice/agents/{world.admin.pk}/double-authentification/", follow=True
    )
    assert "saisissez d'abord un code de votre application" in text(response)
    assert TOTPDevice.objects.filter(user=world.admin.user).exists()


def test_the_operator_resets_a_factor_in_the_admin(client, world):
    device = enrolled(world.desk.user)
    client.force_login(world.operator)
    response = client.post(f"/admin/otp_totp/totpdevice/{device.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=world.desk.user).exists()
