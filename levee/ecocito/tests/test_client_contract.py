"""A client written against the contract of README « Compatibilité Ecocito » only, as the
home-automation scripts are: plain HTTP, a form login, a cookie jar, JSON read with
`datetime.fromisoformat`, and a new login when the session has expired."""

import datetime
import http.cookiejar
import json
import re
import urllib.parse
import urllib.request

from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from levee.lib.middleware import LAST_ACTIVITY

from .conftest import PASSWORD

LOGIN_FORM = '<form action="/Usager/Profil/Connexion"'


class EcocitoClient:
    def __init__(self, base_url: str, email: str, password: str):
        self.base_url = base_url.rstrip("/")
        self.email, self.password = email, password
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))
        self.logins = 0

    def _open(self, path: str, *, data: dict | None = None, root: str = ""):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        with self.opener.open(f"{root or self.base_url}{path}", data=body) as response:
            return response.status, response.read().decode()

    def login(self) -> None:
        self.logins += 1
        # The login's form posts to the root, whatever the authority, as Ecocito's does.
        root = urllib.parse.urlsplit(self.base_url)
        status, html = self._open(
            "/Usager/Profil/Connexion",
            data={
                "Identifiant": self.email,
                "MotDePasse": self.password,
                "MaintenirConnexion": "false",
                "FranceConnectActif": "False",
            },
            root=f"{root.scheme}://{root.netloc}",
        )
        assert status == 200
        error = re.search(r'<div class="validation-summary-errors"><ul><li>(.*?)</li>', html)
        if error:
            raise PermissionError(error.group(1))
        assert any(cookie.name == "sessionid" for cookie in self.cookies)

    def get(self, path: str, **params):
        url = f"{path}?{urllib.parse.urlencode(params)}" if params else path
        status, text = self._open(url)
        if LOGIN_FORM in text:  # the session has expired: log in again, once
            self.login()
            status, text = self._open(url)
        assert status == 200
        return text

    def lifts(self, year: int, id_matiere: int = -1) -> list[dict]:
        rows = json.loads(
            self.get(
                "/Usager/Collecte/GetCollecte",
                charger="true",
                skip=0,
                take=1000,
                requireTotalCount="true",
                idMatiere=id_matiere,
                sort='[{"selector":"DATE_DONNEE","desc":false}]',
                dateDebut=f"{year}-01-01T00:00:00.000Z",
                dateFin=f"{year}-12-31T23:59:59.999Z",
            )
        )["data"]
        for row in rows:
            row["DATE_DONNEE"] = datetime.datetime.fromisoformat(row["DATE_DONNEE"])
        return rows

    def matieres(self) -> dict[int, str]:
        html = self.get("/Usager/Collecte")
        select = re.search(
            r'<select id="Filtres_IdMatiere" name="Filtres.IdMatiere">(.*?)</select>', html, re.S
        ).group(1)
        return {int(v): label for v, label in re.findall(r'value="(-?\d+)"[^>]*>([^<]+)<', select)}


def test_a_script_logs_in_and_reads_last_years_lifts_of_both_authorities(live_server, world):
    client = EcocitoClient(live_server.url, "dupont59@gmail.com", PASSWORD)
    client.login()
    year = world["year"]

    assert client.matieres() == {
        -1: "Tous les types de déchets",
        1: "Ordures ménagères",
        2: "Emballages recyclables",
        5: "Verre",
    }
    rows = client.lifts(year)
    assert [(r["DATE_DONNEE"], r["QUANTITE_NETTE"], r["ID_MATIERE"]) for r in rows] == [
        (datetime.datetime(year, 1, 6, 6, 30), 10.5, 1),
        (datetime.datetime(year, 3, 3, 6, 30), 11.25, 1),
        (datetime.datetime(year, 3, 10, 7, 0), 4.0, 2),
        (datetime.datetime(year, 7, 14, 8, 15), 9.0, 1),
    ]
    assert {r["LIBELLE_ADRESSE"] for r in rows} == {
        "29 ROUTE DE MÉTEREN 59270 BAILLEUL",
        "3 RUE DU PILAT 42410 PÉLUSSIN",
    }
    assert rows[0]["NumeroPuce"] == "E0040001" and rows[0]["NumeroCuve"] == "C0001"
    # Every flux of the select, one call each, adds up to the whole.
    by_flux = [client.lifts(year, number) for number in client.matieres() if number != -1]
    assert sum(len(r) for r in by_flux) == len(rows)
    assert client.logins == 1


def test_under_an_authority_the_script_reads_that_authoritys_accounts_only(live_server, world):
    client = EcocitoClient(f"{live_server.url}/pilat-rhodanien", "dupont59@gmail.com", PASSWORD)
    client.login()
    rows = client.lifts(world["year"])
    assert [r["LIBELLE_ADRESSE"] for r in rows] == ["3 RUE DU PILAT 42410 PÉLUSSIN"]
    assert client.matieres() == {
        -1: "Tous les types de déchets",
        1: "Ordures ménagères",
        5: "Verre",
    }
    statistics = json.loads(
        client.get(
            "/Usager/Json/ObtenirStatistiqueApportPAVMensuel",
            dateDebut=f"{world['year']}-01-01T01:00:00.000Z",
            dateFin=f"{world['year']}-12-31T23:59:00.000Z",
            idMatiere=-1,
        )
    )
    assert len(statistics) == 12 and sum(int(m["Nombre"]) for m in statistics) == 1
    assert statistics[6]["Nombre"] == 1


def test_the_script_logs_in_again_once_its_session_has_expired(live_server, world):
    client = EcocitoClient(live_server.url, "dupont59@gmail.com", PASSWORD)
    client.login()
    assert len(client.lifts(world["year"])) == 4
    # Idle for longer than a session that ends with the browser may be.
    session = SessionStore(session_key=Session.objects.get().session_key)
    session[LAST_ACTIVITY] = int(timezone.now().timestamp()) - 13 * 3600
    session.save()

    assert len(client.lifts(world["year"])) == 4
    assert client.logins == 2


def test_a_wrong_password_is_refused_with_ecocitos_message_and_no_cookie(live_server, world):
    client = EcocitoClient(live_server.url, "dupont59@gmail.com", "pas-le-bon")
    try:
        client.login()
    except PermissionError as error:
        assert str(error) == "Identifiant ou mot de passe incorrect."
    else:
        raise AssertionError("the login should have been refused")
    assert not list(client.cookies)
