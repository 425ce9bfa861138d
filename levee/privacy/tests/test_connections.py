"""« Dernières connexions »: every successful login is recorded, by whichever door."""

import pytest

from levee.agents.models import Agent
from levee.agents.roles import AgentRole
from levee.privacy.models import Connection, ConnectionVia
from levee.privacy.services import connection_record
from testkit import PASSWORD, make_user

from .conftest import text

pytestmark = pytest.mark.django_db

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"


def test_a_resident_login_is_recorded_with_its_address_and_browser(client, world):
    _, _, user = world
    response = client.post(
        "/flandre-interieure/connexion/",
        {"email": "dupont59@gmail.com", "password": PASSWORD},
        HTTP_USER_AGENT=BROWSER,
        REMOTE_ADDR="203.0.113.7",
    )
    assert response.status_code == 302
    connection = Connection.objects.get(user=user)
    assert connection.via == ConnectionVia.SPACE
    assert connection.ip_address == "203.0.113.7"
    assert connection.user_agent == BROWSER


def test_a_failed_login_records_nothing(client, world):
    client.post(
        "/flandre-interieure/connexion/", {"email": "dupont59@gmail.com", "password": "Faux-1234!"}
    )
    assert not Connection.objects.exists()


def test_an_agent_login_is_recorded_as_the_back_office(client, world):
    authority, _, _ = world
    agent = make_user("agent.flandre@example.org")
    Agent.objects.create(authority=authority, user=agent, role=AgentRole.ADMINISTRATEUR)
    response = client.post(
        "/backoffice/connexion/", {"email": "agent.flandre@example.org", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert Connection.objects.get(user=agent).via == ConnectionVia.BACKOFFICE


def test_the_operator_login_is_recorded_as_the_admin(client, settings):
    operator = make_user("admin@example.org")
    operator.is_staff = operator.is_superuser = True
    operator.save(update_fields=["is_staff", "is_superuser"])
    response = client.post(
        f"/{settings.ADMIN_URL}login/", {"username": "admin@example.org", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert Connection.objects.get(user=operator).via == ConnectionVia.ADMIN


def test_a_long_browser_name_is_cut_and_a_bad_address_left_out(world):
    _, _, user = world
    connection = connection_record(
        user=user, ip_address="not-an-ip", user_agent="x" * 500, via="space"
    )
    connection.refresh_from_db()
    assert connection.ip_address is None and len(connection.user_agent) == 200


def test_mon_profil_shows_the_last_ten_connections_of_the_login_only(client, world):
    _, account, user = world
    other = make_user("voisin@example.org", accounts=[account])
    for n in range(12):
        connection_record(user=user, ip_address=f"198.51.100.{n}", user_agent="", via="space")
    connection_record(user=other, ip_address="192.0.2.99", user_agent="", via="space")
    client.force_login(user)
    page = text(client.get("/flandre-interieure/espace/mon-profil/"))
    assert "Dernières connexions" in page
    # The newest is this very login (force_login), then nine of the twelve.
    assert "198.51.100.11<" in page and "198.51.100.3<" in page
    assert "198.51.100.2<" not in page and "198.51.100.0<" not in page
    assert "192.0.2.99" not in page
    assert "conservées 365 jours" in page
