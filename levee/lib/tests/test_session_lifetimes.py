"""Sessions end on the server as they are announced (issue 10, point 9): « Rester connecté »
not ticked, after SESSION_IDLE_MINUTES without a request; a session that entered the back
office or the admin, after AGENT_SESSION_IDLE_MINUTES."""

import datetime
from html import unescape
from unittest import mock

import pytest
from django.utils import timezone

from levee.agents.models import Agent
from levee.agents.roles import AgentRole
from testkit import PASSWORD, ccfi_world, make_user

pytestmark = pytest.mark.django_db

LOGIN = "/flandre-interieure/connexion/"
SPACE = "/flandre-interieure/espace/"
BACKOFFICE_LOGIN = "/backoffice/connexion/"
EXPIRED = "Votre session a expiré"


class Clock:
    """timezone.now(), moved forward by the test (the session store reads it too)."""

    def __init__(self):
        self.now = timezone.now()

    def forward(self, **delta):
        self.now += datetime.timedelta(**delta)


@pytest.fixture
def clock():
    clock = Clock()
    with mock.patch("django.utils.timezone.now", side_effect=lambda: clock.now):
        yield clock


@pytest.fixture
def resident():
    _, account = ccfi_world()
    return make_user("dupont59@gmail.com", accounts=[account])


@pytest.fixture
def agent():
    authority, _ = ccfi_world()
    user = make_user("agent@flandre.example.org")
    Agent.objects.create(authority=authority, user=user, role=AgentRole.ADMINISTRATEUR)
    return user


def log_in(client, email, **extra):
    response = client.post(LOGIN, {"email": email, "password": PASSWORD, **extra})
    assert response.status_code == 302, response.content.decode()


def test_a_session_not_remembered_ends_on_the_server_after_12_idle_hours(client, clock, resident):
    log_in(client, resident.email)
    assert client.get(SPACE).status_code == 200

    clock.forward(hours=12, minutes=1)
    response = client.get(SPACE, follow=True)

    assert response.redirect_chain[0][0] == "/connexion/?next=" + SPACE
    assert EXPIRED in unescape(response.content.decode())
    assert "_auth_user_id" not in client.session
    assert client.get(SPACE).status_code == 302  # logged out for good


def test_a_session_in_use_is_kept_past_12_hours(client, clock, resident):
    log_in(client, resident.email)
    for _ in range(4):
        clock.forward(hours=5)
        assert client.get(SPACE).status_code == 200


def test_a_remembered_session_outlives_12_idle_hours(client, clock, resident):
    log_in(client, resident.email, remember="on")

    clock.forward(days=3)

    assert client.get(SPACE).status_code == 200


def test_a_copied_session_cookie_stops_working_on_the_server(client, clock, resident):
    # The browser forgets a session cookie when it closes, a copied one does not: the
    # server ends the session all the same.
    log_in(client, resident.email)
    stolen = client.cookies["sessionid"].value

    clock.forward(hours=13)
    client.cookies["sessionid"] = stolen

    assert client.get(SPACE).status_code == 302


def test_an_agents_session_ends_after_30_idle_minutes_in_the_back_office(client, clock, agent):
    client.post(BACKOFFICE_LOGIN, {"email": agent.email, "password": PASSWORD})
    assert client.get("/backoffice/").status_code == 200
    clock.forward(minutes=29)
    assert client.get("/backoffice/").status_code == 200

    clock.forward(minutes=31)
    response = client.get("/backoffice/", follow=True)

    assert response.redirect_chain[0][0].startswith(BACKOFFICE_LOGIN)
    assert EXPIRED in unescape(response.content.decode())
    assert "_auth_user_id" not in client.session


def test_an_agents_session_cannot_be_revived_through_another_page(client, clock, agent):
    # Idle for 31 minutes, a request outside the back office does not start a fresh period.
    client.post(BACKOFFICE_LOGIN, {"email": agent.email, "password": PASSWORD})
    client.get("/backoffice/")

    clock.forward(minutes=31)
    client.get("/flandre-interieure/")

    assert "_auth_user_id" not in client.session
    assert client.get("/backoffice/").status_code == 302


def test_a_remembered_login_of_an_agent_is_bounded_too_in_the_back_office(client, clock, agent):
    log_in(client, agent.email, remember="on")
    assert client.get("/backoffice/").status_code == 200

    clock.forward(minutes=31)

    assert client.get("/backoffice/").status_code == 302
    assert "_auth_user_id" not in client.session


def test_the_operators_admin_session_ends_after_30_idle_minutes(client, clock, admin_user):
    client.post("/admin/login/", {"username": admin_user.email, "password": "password"})
    assert client.get("/admin/").status_code == 200

    clock.forward(minutes=31)

    assert client.get("/admin/").status_code == 302


def test_the_idle_periods_are_settings(client, clock, resident, settings):
    settings.SESSION_IDLE_MINUTES = 60
    log_in(client, resident.email)

    clock.forward(minutes=61)

    assert client.get(SPACE).status_code == 302
