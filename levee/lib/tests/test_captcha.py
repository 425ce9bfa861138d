"""« Je ne suis pas un robot »: a solved challenge is accepted once, however its payload
is re-encoded, by every process and after a restart (the database remembers it)."""

import base64
import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from levee.lib import captcha
from levee.lib.models import UsedChallenge
from testkit import altcha_payload

from .clocks import clock_install

pytestmark = pytest.mark.django_db


def decoded(payload: str) -> dict:
    return json.loads(base64.b64decode(payload))


def encoded(data: dict, **dumps) -> str:
    return base64.b64encode(json.dumps(data, **dumps).encode()).decode()


def test_a_solved_challenge_is_accepted_once():
    payload = altcha_payload()
    assert captcha.verify(payload)
    assert not captcha.verify(payload)


@pytest.mark.parametrize(
    "reencode",
    [
        lambda data: encoded(dict(reversed(list(data.items())))),  # another key order
        lambda data: encoded(data, indent=2),  # other whitespace
        lambda data: encoded(data, separators=(",", ":")),
        lambda data: encoded({**data, "number": str(data["number"])}),  # "123" for 123
        lambda data: encoded(
            {**data, "salt": data["salt"].rstrip("&")}
        ),  # the library adds it back
        lambda data: base64.b64encode(json.dumps(data).encode()).decode() + "\n",
        lambda data: base64.encodebytes(json.dumps(data).encode()).decode(),  # split lines
    ],
    ids=["key-order", "indent", "compact", "number-as-text", "salt-ampersand", "newline", "mime"],
)
def test_the_same_solution_re_encoded_is_refused(reencode):
    payload = altcha_payload()
    assert captcha.verify(payload)
    assert not captcha.verify(reencode(decoded(payload)))


def test_a_re_encoded_payload_first_then_the_original_is_refused():
    payload = altcha_payload()
    assert captcha.verify(encoded(decoded(payload), indent=1))
    assert not captcha.verify(payload)


def test_a_fresh_challenge_is_accepted_after_another_was_used():
    assert captcha.verify(altcha_payload())
    assert captcha.verify(altcha_payload())


def test_a_forged_or_unsolved_payload_is_refused_and_not_recorded():
    data = decoded(altcha_payload())
    assert not captcha.verify(encoded({**data, "number": data["number"] + 1}))
    assert not captcha.verify(encoded({**data, "signature": "0" * 64}))
    assert not captcha.verify("pas du base64 !")
    assert not captcha.verify(encoded(["une", "liste"]))
    assert not UsedChallenge.objects.exists()
    assert captcha.verify(encoded(data))


def test_the_periodic_job_forgets_challenges_that_have_expired(monkeypatch):
    clock = clock_install(monkeypatch)
    old = altcha_payload()
    assert captcha.verify(old)
    clock.advance(minutes=20)
    recent = altcha_payload()
    assert captcha.verify(recent)
    clock.advance(minutes=15)  # the first one expired 5 minutes ago: remembered a while still
    assert captcha.captcha_used_purge() == 0
    clock.advance(minutes=6)
    out = StringIO()
    call_command("periodic", stdout=out)
    assert "captcha: 1 expired challenge(s) forgotten" in out.getvalue()
    assert UsedChallenge.objects.count() == 1
    assert UsedChallenge.objects.get().expires_at > timezone.now() + timedelta(minutes=10)


def test_a_challenge_another_process_recorded_is_refused():
    payload = altcha_payload()
    UsedChallenge.objects.create(
        signature=decoded(payload)["signature"], expires_at=timezone.now() + timedelta(hours=1)
    )
    assert not captcha.verify(payload)
