"""Bad URLs and junk parameters never answer 500, whoever asks."""

import pytest

from levee.agents.models import Agent
from testkit import ccfi_world, make_user, pilat_world

pytestmark = pytest.mark.django_db

JUNK = [
    "",
    "0",
    "-1",
    "99999999999999999999",
    "%00",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "é" * 300,
]
PATHS = [
    "/?q={j}",
    "/?q=pelussin&commune={j}",
    "/communes/recherche?q={j}",
    "/{j}/",
    "/flandre-interieure/activation/{j}/{j}/",
    "/flandre-interieure/mot-de-passe-oublie/{j}/{j}/",
    "/pilat-rhodanien/ouvrir-un-compte/?commune={j}",
    "/pilat-rhodanien/ouvrir-un-compte/{j}/{j}/",
    "/pilat-rhodanien/ouvrir-un-compte/confirmer/{j}/",
    "/flandre-interieure/espace/?compte={j}",
    "/espace/changer-de-compte/?compte={j}",
    "/backoffice/ouvertures/{j}/",
    "/backoffice/ouvertures/{j}/justificatif/",
    "/flandre-interieure/connexion/?next={j}",
]


@pytest.fixture
def people():
    ccfi, account = ccfi_world()
    pilat, _ = pilat_world()
    agent = make_user("agent@example.org")
    Agent.objects.create(authority=pilat, user=agent)
    return {
        "anonymous": None,
        "resident": make_user("r@example.org", accounts=[account]),
        "agent": agent,
    }


@pytest.mark.parametrize("who", ["anonymous", "resident", "agent"])
def test_no_junk_url_answers_500(client, people, who):
    if people[who]:
        client.force_login(people[who])
    for path in PATHS:
        for junk in JUNK:
            url = path.format(j=junk)
            response = client.get(url)
            assert response.status_code < 500, url
    for url in (
        "/flandre-interieure/connexion/",
        "/backoffice/connexion/",
        "/flandre-interieure/creer-mon-espace/",
    ):
        response = client.post(
            url,
            {"email": "<x>" * 100, "password": "\x00", "name": "' OR 1=1", "portal_key": "é" * 99},
        )
        assert response.status_code < 500, url
