import datetime

import pytest
from django.utils import timezone

from levee.tokens.models import PersonalAccessToken
from levee.tokens.selectors import tokens_for_user
from levee.tokens.services import token_authenticate, token_create, token_revoke
from testkit import make_user

pytestmark = pytest.mark.django_db


def test_it_keeps_only_the_hash_of_the_secret():
    user = make_user("jeton@example.org")
    created = token_create(user=user, name="  Domotique  ")
    token = PersonalAccessToken.objects.get()
    assert token.name == "Domotique"
    assert created.secret.startswith("levee_") and len(created.secret) > 40
    assert created.secret not in {token.digest, token.prefix}
    assert created.secret.startswith(token.prefix)
    assert token_authenticate(created.secret).pk == token.pk


def test_it_refuses_an_unknown_a_revoked_and_an_expired_token():
    user = make_user("jeton@example.org")
    revoked = token_create(user=user, name="a")
    expired = token_create(
        user=user, name="b", expires_at=timezone.now() + datetime.timedelta(days=1)
    )
    assert token_revoke(user=user, token_id=revoked.token.pk)
    assert token_authenticate(revoked.secret) is None
    assert token_authenticate("levee_inconnu") is None
    assert token_authenticate("") is None
    later = timezone.now() + datetime.timedelta(days=2)
    assert token_authenticate(expired.secret, now=later) is None
    assert token_authenticate(expired.secret) is not None


def test_it_refuses_the_token_of_a_deactivated_login():
    user = make_user("jeton@example.org")
    created = token_create(user=user, name="a")
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert token_authenticate(created.secret) is None


def test_one_cannot_revoke_the_token_of_another_login():
    owner = make_user("jeton@example.org")
    other = make_user("autre@example.org")
    created = token_create(user=owner, name="a")
    assert not token_revoke(user=other, token_id=created.token.pk)
    assert token_authenticate(created.secret) is not None
    assert list(tokens_for_user(owner)) == [created.token]
    assert not token_revoke(user=owner, token_id=created.token.pk + 1000)


def test_it_writes_the_last_use_at_most_once_a_minute():
    user = make_user("jeton@example.org")
    created = token_create(user=user, name="a")
    now = timezone.now()
    token_authenticate(created.secret, now=now)
    token_authenticate(created.secret, now=now + datetime.timedelta(seconds=30))
    assert PersonalAccessToken.objects.get().last_used_at == now
    token_authenticate(created.secret, now=now + datetime.timedelta(seconds=61))
    assert PersonalAccessToken.objects.get().last_used_at == now + datetime.timedelta(seconds=61)


def test_a_revoked_token_leaves_the_list():
    user = make_user("jeton@example.org")
    kept = token_create(user=user, name="a")
    gone = token_create(user=user, name="b")
    token_revoke(user=user, token_id=gone.token.pk)
    assert list(tokens_for_user(user)) == [kept.token]


def test_the_operator_revokes_a_token_in_the_admin_without_seeing_its_digest(client):
    operator = make_user("admin@example.org")
    operator.is_staff = operator.is_superuser = True
    operator.save(update_fields=["is_staff", "is_superuser"])
    created = token_create(user=make_user("jeton@example.org"), name="Fuité")
    client.force_login(operator)
    page = client.get(f"/admin/tokens/personalaccesstoken/{created.token.pk}/change/")
    assert page.status_code == 200
    assert created.token.digest not in page.content.decode()
    response = client.post(
        "/admin/tokens/personalaccesstoken/",
        {"action": "revoke", "_selected_action": [created.token.pk]},
    )
    assert response.status_code == 302
    assert token_authenticate(created.secret) is None
