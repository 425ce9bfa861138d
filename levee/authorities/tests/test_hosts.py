"""An authority's own host name (Authority.host): its portal at the root of that host, the
Ecocito-compatible paths and the API included, links drawn without /<slug>/, emails
pointing there, any other host refused, and the operator's admin left to the platform."""

import datetime
import urllib.error
import urllib.request

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import RequestFactory

from levee.authorities.admin import AuthorityAdmin
from levee.authorities.hosts import authority_hosts, authority_hosts_forget
from levee.authorities.models import Authority
from levee.collection.models import Bin, Flux, Lift
from testkit import PASSWORD, ccfi_world, make_account, make_user, pilat_world

HOST = "dechets.example.org"


@pytest.fixture
def world(db):
    ccfi, account = ccfi_world()
    pilat, pelussin = pilat_world()
    Authority.objects.filter(pk=ccfi.pk).update(host=HOST)
    authority_hosts_forget()
    second = make_account(
        pilat, code="10042", portal_key="VZKRTQPM", commune=pelussin, postal_code="42410"
    )
    user = make_user("dupont59@gmail.com", accounts=[account, second])
    for acc, chip in ((account, "E0040001"), (second, "E0049999")):
        bin = Bin.objects.create(
            authority=acc.authority,
            subscription=acc.subscriptions.first(),
            account=acc,
            flux=Flux.ORDURES_MENAGERES,
            volume_litres=120,
            chip_number=chip,
            delivered_on=datetime.date(2020, 1, 1),
        )
        Lift.objects.create(
            authority=acc.authority,
            bin=bin,
            lifted_at=datetime.datetime(2025, 3, 3, 6, 30, tzinfo=datetime.UTC),
            net_weight_grams=10000,
        )
    return {"ccfi": Authority.objects.get(pk=ccfi.pk), "pilat": pilat, "user": user}


def test_the_host_serves_its_authoritys_home_at_the_root(client, world):
    response = client.get("/", HTTP_HOST=HOST)
    text = response.content.decode()
    assert response.status_code == 200
    assert "Flandre Intérieure" in text
    # Its links have no /<slug>/ prefix there.
    assert 'href="/connexion/"' in text and "/flandre-interieure/" not in text


def test_the_platform_still_serves_every_authority_under_its_slug(client, world):
    assert client.get("/flandre-interieure/").status_code == 200
    assert client.get("/pilat-rhodanien/").status_code == 200


def test_the_space_of_the_host_is_at_the_root(client, world):
    client.post(
        "/connexion/", {"email": "dupont59@gmail.com", "password": PASSWORD}, HTTP_HOST=HOST
    )
    response = client.get("/espace/", HTTP_HOST=HOST)
    assert response.status_code == 200
    text = response.content.decode()
    assert 'href="/espace/mes-bacs-levees/"' in text
    # The second home's account, in the account selector: its authority's space is under
    # its slug, which the host sends on to the platform.
    second = world["user"].account_accesses.get(authority=world["pilat"]).account_id
    switch = client.get(
        "/espace/changer-de-compte/", {"compte": f"pilat-rhodanien:{second}"}, HTTP_HOST=HOST
    )
    assert switch["Location"] == f"/pilat-rhodanien/espace/?compte={second}"
    elsewhere = client.get(switch["Location"], HTTP_HOST=HOST)
    assert elsewhere.status_code == 301
    assert elsewhere["Location"] == (
        f"http://127.0.0.1:8000/pilat-rhodanien/espace/?compte={second}"
    )


def test_an_old_link_under_its_own_slug_goes_to_the_root(client, world):
    response = client.get("/flandre-interieure/cgu/?a=1", HTTP_HOST=HOST)
    assert response.status_code == 301 and response["Location"] == "/cgu/?a=1"


def test_the_ecocito_paths_read_the_hosts_authority_only(client, world):
    response = client.post(
        "/Usager/Profil/Connexion",
        {"Identifiant": "dupont59@gmail.com", "MotDePasse": PASSWORD},
        HTTP_HOST=HOST,
    )
    assert response.status_code == 200 and response.cookies["sessionid"].value
    rows = client.get("/Usager/Collecte/GetCollecte", HTTP_HOST=HOST).json()["data"]
    assert [r["COLLECTIVITE"] for r in rows] == ["flandre-interieure"]
    # At the platform's root the same login reads both authorities.
    client.post(
        "/Usager/Profil/Connexion", {"Identifiant": "dupont59@gmail.com", "MotDePasse": PASSWORD}
    )
    rows = client.get("/Usager/Collecte/GetCollecte").json()["data"]
    assert {r["COLLECTIVITE"] for r in rows} == {"flandre-interieure", "pilat-rhodanien"}


def test_the_api_is_served_on_the_host(client, world):
    assert client.get("/api/v1/openapi.json", HTTP_HOST=HOST).status_code == 200


def test_an_unknown_host_is_refused(client, world):
    response = client.get("/", HTTP_HOST="inconnu.example.org")
    assert response.status_code == 400
    assert client.get("/flandre-interieure/", HTTP_HOST="inconnu.example.org").status_code == 400


def test_an_inactive_authoritys_host_is_refused(client, world):
    Authority.objects.filter(pk=world["ccfi"].pk).update(is_active=False)
    authority_hosts_forget()
    assert client.get("/", HTTP_HOST=HOST).status_code == 400


def test_the_operators_admin_is_not_served_on_an_authoritys_host(client, world, settings):
    assert client.get(f"/{settings.ADMIN_URL}", HTTP_HOST=HOST).status_code == 404
    assert client.get(f"/{settings.ADMIN_URL}login/", HTTP_HOST=HOST).status_code == 404
    assert client.get(f"/{settings.ADMIN_URL}login/").status_code == 200


def test_the_emails_of_the_authority_link_to_its_host(
    client, world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/flandre-interieure/mot-de-passe-oublie/", {"email": "dupont59@gmail.com"})
    body = mail.outbox[-1].body
    assert f"http://{HOST}/mot-de-passe-oublie/" in body
    assert "/flandre-interieure/" not in body and "127.0.0.1" not in body


def test_an_email_asked_on_the_host_links_to_it_too(
    client, world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/mot-de-passe-oublie/", {"email": "dupont59@gmail.com"}, HTTP_HOST=HOST)
    body = mail.outbox[-1].body
    link = next(line for line in body.splitlines() if "/mot-de-passe-oublie/" in line)
    assert link.startswith(f"http://{HOST}/mot-de-passe-oublie/")
    path = link.removeprefix(f"http://{HOST}")
    assert client.get(path, HTTP_HOST=HOST, follow=True).status_code == 200


def test_the_emails_of_another_authority_keep_the_platforms_address(
    client, world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/pilat-rhodanien/mot-de-passe-oublie/", {"email": "dupont59@gmail.com"})
    assert "http://127.0.0.1:8000/pilat-rhodanien/mot-de-passe-oublie/" in mail.outbox[-1].body


def test_a_host_set_in_the_admin_is_served_without_a_restart(client, world, admin_user):
    pilat = world["pilat"]
    assert client.get("/", HTTP_HOST="dechets.pilat.example.org").status_code == 400
    pilat.host = "dechets.pilat.example.org"
    request = RequestFactory().post("/")
    request.user = admin_user
    AuthorityAdmin(Authority, None).save_model(request, pilat, form=None, change=True)
    response = client.get("/", HTTP_HOST="dechets.pilat.example.org")
    assert response.status_code == 200 and "Pilat Rhodanien" in response.content.decode()
    assert authority_hosts()["dechets.pilat.example.org"] == "pilat-rhodanien"


def test_a_host_saved_any_other_way_is_served_at_once_and_dropped_at_once(client, world):
    pilat = world["pilat"]
    assert client.get("/", HTTP_HOST="pilat.example.org").status_code == 400  # cached
    pilat.host = "pilat.example.org"
    pilat.save(update_fields=["host"])
    assert client.get("/", HTTP_HOST="pilat.example.org").status_code == 200
    pilat.host = ""
    pilat.save(update_fields=["host"])
    assert client.get("/", HTTP_HOST="pilat.example.org").status_code == 400


@pytest.mark.parametrize(
    "host",
    [
        "https://dechets.example.org",
        "dechets.example.org/portail",
        "Dechets.Example.org",
        "x",
        "a..b",
    ],
)
def test_a_host_that_is_not_a_plain_host_name_is_refused(world, host):
    pilat = world["pilat"]
    pilat.host = host
    with pytest.raises(ValidationError) as error:
        pilat.full_clean()
    assert "host" in error.value.message_dict


def test_two_authorities_cannot_share_a_host_nor_take_the_platforms(world):
    pilat = world["pilat"]
    pilat.host = HOST
    with pytest.raises(ValidationError, match="déjà ce nom d'hôte"):
        pilat.full_clean()
    pilat.host = "localhost"
    with pytest.raises(ValidationError):
        pilat.full_clean()


def test_a_request_to_the_host_on_a_live_server_is_served_by_its_authority(live_server, world):
    port = live_server.url.rsplit(":", 1)[1]
    request = urllib.request.Request(f"{live_server.url}/", headers={"Host": f"{HOST}:{port}"})
    with urllib.request.urlopen(request) as response:
        assert "Flandre Intérieure" in response.read().decode()
    request = urllib.request.Request(
        f"{live_server.url}/", headers={"Host": f"inconnu.example.org:{port}"}
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request)
    assert refused.value.code == 400


JUNK = ["", "0", "-1", "99999999999999999999", "%00", "<script>", "' OR 1=1 --", "é" * 300]
HOST_PATHS = [
    "/{j}/",
    "/{j}/espace/",
    "/{j}/{j}/{j}",
    "/espace/?compte={j}",
    "/espace/changer-de-compte/?compte={j}",
    "/connexion/?next={j}",
    "/Usager/Collecte/GetCollecte?idMatiere={j}&take={j}",
    "/flandre-interieure/{j}",
    "/?q={j}",
]


@pytest.mark.parametrize("logged_in", [False, True])
def test_no_junk_url_on_the_host_answers_500(client, world, logged_in):
    if logged_in:
        client.force_login(world["user"])
    for path in HOST_PATHS:
        for junk in JUNK:
            url = path.format(j=junk)
            assert client.get(url, HTTP_HOST=HOST).status_code < 500, url
    for junk in ["dechets.example.org:abc", "-.example.org", "é.example.org", "[::1]"]:
        assert client.get("/", HTTP_HOST=junk).status_code == 400, junk
