"""The login does the same work whether the email exists or not: a password is hashed
either way, so the time of the answer tells nothing (counted, not timed)."""

import pytest
from django.test import RequestFactory

from levee.accounts.authentication import credentials_check
from levee.accounts.hashers import FastArgon2PasswordHasher
from levee.lib import throttle
from testkit import PASSWORD, ccfi_world, make_user

pytestmark = pytest.mark.django_db

LOGIN = "/flandre-interieure/connexion/"


class CountingHasher(FastArgon2PasswordHasher):
    """The suite's hasher, counting every password it hashes."""

    hashed = 0

    def encode(self, password, salt):
        CountingHasher.hashed += 1
        return super().encode(password, salt)

    def verify(self, password, encoded):
        CountingHasher.hashed += 1
        return super().verify(password, encoded)


@pytest.fixture
def hashes(settings):
    settings.PASSWORD_HASHERS = [f"{__name__}.CountingHasher"]

    def count(work) -> int:
        before = CountingHasher.hashed
        work()
        return CountingHasher.hashed - before

    return count


def check(email, password="Faux1@xx", accept=lambda user: True):
    request = RequestFactory().post("/", REMOTE_ADDR="198.51.100.2")
    return credentials_check(request, email=email, password=password, accept=accept)


def test_an_unknown_email_costs_one_hash_like_a_known_one(hashes):
    make_user("dupont59@gmail.com")
    assert hashes(lambda: check("dupont59@gmail.com")) == 1
    assert hashes(lambda: check("inconnu@example.org")) == 1
    assert hashes(lambda: check("dupont59@gmail.com", PASSWORD)) == 1


def test_a_login_without_a_usable_password_costs_one_hash_too(hashes):
    invited = make_user("nouvel.agent@example.org")
    invited.set_unusable_password()
    invited.save(update_fields=["password"])
    assert hashes(lambda: check("nouvel.agent@example.org")) == 1
    assert check("nouvel.agent@example.org").user is None


def test_a_login_refused_by_accept_costs_one_hash_and_counts_as_a_failure(hashes):
    make_user("habitant@example.org")
    assert hashes(lambda: check("habitant@example.org", PASSWORD, accept=lambda u: False)) == 1
    assert throttle.hit(throttle.LOGIN, "habitant@example.org") == 2


def test_a_throttled_check_hashes_nothing_for_any_email(hashes):
    make_user("dupont59@gmail.com")
    for email in ("dupont59@gmail.com", "inconnu@example.org"):
        for _ in range(throttle.LOGIN.max_attempts):
            check(email)
        attempt = check(email, PASSWORD)
        assert attempt.throttled and attempt.retry_after == 60
        assert hashes(lambda email=email: check(email, PASSWORD)) == 0


def test_the_login_page_hashes_as_much_for_a_known_as_for_an_unknown_email(client, hashes):
    _, account = ccfi_world()
    make_user("dupont59@gmail.com", accounts=[account])
    counts = []
    for email in ("dupont59@gmail.com", "inconnu@example.org"):
        post = {"email": email, "password": "Faux1@xx"}
        counts.append(hashes(lambda post=post: client.post(LOGIN, post)))
    assert counts[0] == counts[1] >= 1
