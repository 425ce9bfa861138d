import datetime

import pytest
from django.utils import timezone

from levee.audit.models import AuditEntry
from levee.integrations.models import ApiKey, Scope
from levee.integrations.services import (
    IntegrationRefused,
    KeyRefused,
    api_key_check,
    api_key_create,
    api_key_revoke,
)
from testkit import ccfi_world, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    ccfi, _ = ccfi_world()
    return ccfi, make_user("admin@flandre.example.org")


def test_a_key_is_shown_once_and_only_its_hash_is_kept(world):
    ccfi, admin = world
    key, raw = api_key_create(
        authority=ccfi, name="Camions", scopes=[Scope.LIFTS_WRITE], created_by=admin
    )
    assert raw.startswith(f"lvk_{key.prefix}_")
    stored = ApiKey.objects.filter(pk=key.pk).values().get()
    assert raw not in str(stored)
    assert api_key_check(raw) == key
    entry = AuditEntry.objects.get(action="api_key.create")
    assert entry.actor == admin
    assert raw not in str(entry.after)


def test_a_check_notes_the_last_use(world):
    ccfi, admin = world
    key, raw = api_key_create(authority=ccfi, name="K", scopes=["lifts:write"], created_by=admin)
    assert key.last_used_at is None
    api_key_check(raw)
    key.refresh_from_db()
    assert key.last_used_at is not None


def test_a_wrong_secret_with_a_right_prefix_is_refused(world):
    ccfi, admin = world
    key, raw = api_key_create(authority=ccfi, name="K", scopes=["lifts:write"], created_by=admin)
    with pytest.raises(KeyRefused) as refused:
        api_key_check(raw[:-2] + ("aa" if not raw.endswith("aa") else "bb"))
    assert refused.value.code == "invalid_key"
    for text in ("", "lvk_", "Bearer x", f"lvk_{key.prefix}"):
        with pytest.raises(KeyRefused):
            api_key_check(text)


def test_a_revoked_key_is_refused_and_revoking_twice_changes_nothing(world):
    ccfi, admin = world
    key, raw = api_key_create(authority=ccfi, name="K", scopes=["lifts:write"], created_by=admin)
    assert api_key_revoke(key=key, by=admin)
    assert not api_key_revoke(key=key, by=admin)
    assert AuditEntry.objects.filter(action="api_key.revoke").count() == 1
    with pytest.raises(KeyRefused) as refused:
        api_key_check(raw)
    assert refused.value.code == "key_revoked"


def test_an_expired_key_is_refused(world):
    ccfi, admin = world
    key, raw = api_key_create(
        authority=ccfi,
        name="K",
        scopes=["lifts:write"],
        created_by=admin,
        expires_at=timezone.now() + datetime.timedelta(days=1),
    )
    ApiKey.objects.filter(pk=key.pk).update(expires_at=timezone.now())
    with pytest.raises(KeyRefused) as refused:
        api_key_check(raw)
    assert refused.value.code == "key_expired"


@pytest.mark.parametrize(
    "name, scopes, expires, message",
    [
        ("  ", ["lifts:write"], None, "Indiquez le nom de la clé."),
        ("K", [], None, "Choisissez au moins un droit"),
        ("K", ["admin:all"], None, "Choisissez au moins un droit"),
        ("K", ["lifts:write"], -1, "La date d'expiration doit être dans le futur."),
    ],
)
def test_bad_values_are_refused_and_nothing_is_made(world, name, scopes, expires, message):
    ccfi, admin = world
    expires_at = timezone.now() + datetime.timedelta(days=expires) if expires else None
    with pytest.raises(IntegrationRefused, match=message):
        api_key_create(
            authority=ccfi, name=name, scopes=scopes, created_by=admin, expires_at=expires_at
        )
    assert not ApiKey.objects.exists()
    assert not AuditEntry.objects.exists()
