"""Acting on behalf (issue 4, point 6): at the counter an agent opens a resident's space
from the back office, makes a request for him, and leaves. The request and the audit log
say so; what touches the resident's login is refused; nothing else is reached."""

import datetime
import re
from html import unescape
from types import SimpleNamespace

import pytest
from django.test import Client
from django.utils import timezone

from levee.accounts.models import AccountAccess, User
from levee.agents.models import Agent
from levee.agents.roles import AgentRole
from levee.audit.models import AuditEntry
from levee.calendars.models import CalendarFeedToken, CollectionReminder
from levee.calendars.services import feed_token_ensure
from levee.mailing.models import OutboxMessage
from levee.requests.models import (
    RequestMessage,
    RequestStatus,
    RequestStatusChange,
    ServiceRequest,
)
from levee.requests.services import service_request_accept
from levee.requests.tests.conftest import coordonnees_post, informations_post, make_request
from levee.space.on_behalf import SESSION_KEY
from levee.subscribers.models import Account
from levee.tokens.models import PersonalAccessToken
from levee.tokens.services import token_create
from testkit import PASSWORD, ccfi_world, make_account, make_user, pilat_world

pytestmark = pytest.mark.django_db

SPACE = "/flandre-interieure/espace/"
INFORMATIONS = SPACE + "mes-services/modifier-mes-informations-personnelles/"
COORDONNEES = SPACE + "mes-services/modifier-mes-coordonnees/"
TRACKING = SPACE + "suivi-de-mes-demandes/"
BANNER = "Vous agissez pour le compte de DUPONT PIERRE (code usager 00001)"
COUNTER = "Demande faite au guichet par Jeanne LEROY"


def text(response) -> str:
    return unescape(response.content.decode())


@pytest.fixture
def world():
    """CCFI with Pierre Dupont's account 00001 and his login; a neighbour's account 00002
    with hers; Jeanne Leroy, « Accueil » agent of CCFI who is also a resident there (account
    00003); a colleague per other role; an agent of Pilat Rhodanien."""
    ccfi, account = ccfi_world()
    account.email = "dupont59@gmail.com"
    account.phone = "0601020304"
    account.save(update_fields=["email", "phone"])
    pilat, _ = pilat_world()
    neighbour_account = make_account(
        ccfi, code="00002", portal_key="NEIGHBOR", last_name="MARTIN", first_name="Marie"
    )
    own_account = make_account(
        ccfi, code="00003", portal_key="AGENTOWN", last_name="LEROY", first_name="Jeanne"
    )
    jeanne = make_user("jeanne.leroy@flandre.example.org", accounts=[own_account])
    jeanne.first_name, jeanne.last_name = "Jeanne", "Leroy"
    jeanne.save(update_fields=["first_name", "last_name"])
    agent = Agent.objects.create(authority=ccfi, user=jeanne, role=AgentRole.ACCUEIL)
    colleagues = {
        role: Agent.objects.create(
            authority=ccfi, user=make_user(f"{role}@flandre.example.org"), role=role
        )
        for role in AgentRole
        if role != AgentRole.ACCUEIL
    }
    pilat_agent = make_user("agent.pilat@example.org")
    Agent.objects.create(authority=pilat, user=pilat_agent, role=AgentRole.ADMINISTRATEUR)
    return SimpleNamespace(
        ccfi=ccfi,
        account=account,
        resident=make_user("dupont59@gmail.com", accounts=[account]),
        neighbour_account=neighbour_account,
        neighbour=make_user("martin@example.org", accounts=[neighbour_account]),
        own_account=own_account,
        agent=agent,
        colleagues=colleagues,
        pilat_agent=pilat_agent,
    )


def start(client, world, account=None, user=None):
    client.force_login(user or world.agent.user)
    return client.post(f"/backoffice/comptes/{(account or world.account).pk}/ouvrir-espace/")


@pytest.fixture
def acting(client, world):
    response = start(client, world)
    assert response.status_code == 302 and response["Location"] == SPACE
    return world


def set_marker(client, **changes):
    session = client.session
    session[SESSION_KEY] = {**session[SESSION_KEY], **changes}
    session.save()


# --- Opening the space -------------------------------------------------------------------


def test_an_accueil_agent_opens_the_space_and_every_page_shows_the_banner(client, acting):
    for path in ["", "mes-informations/", "mes-services/", "suivi-de-mes-demandes/"]:
        page = text(client.get(SPACE + path))
        assert BANNER in page, path
        assert 'action="/backoffice/espace-usager/quitter/"' in page
    page = text(client.get(SPACE))
    # The header names the resident and his email, never the agent's login as his.
    header = re.sub(r"<[^>]+>", "", page)  # the header as read, tags aside
    assert "PIERRE DUPONT - dupont59@gmail.com | Référence abonné : 00001" in header
    assert "Agent : jeanne.leroy@flandre.example.org" in page
    assert "Déconnexion" not in page
    entry = AuditEntry.objects.get(action="account.act_on_behalf_start")
    assert entry.actor == acting.agent.user and entry.object_id == str(acting.account.pk)
    assert entry.after["account"] == "00001"


@pytest.mark.parametrize("role", [AgentRole.ADMINISTRATEUR])
def test_an_administrateur_opens_it_too(client, world, role):
    response = start(client, world, user=world.colleagues[role].user)
    assert response.status_code == 302
    assert BANNER in text(client.get(SPACE))


@pytest.mark.parametrize("role", [AgentRole.CONSULTATION, AgentRole.FACTURATION])
def test_consultation_and_facturation_cannot_open_it(client, world, role):
    response = start(client, world, user=world.colleagues[role].user)
    assert response.status_code == 403
    assert SESSION_KEY not in client.session
    assert not AuditEntry.objects.exists()
    page = text(client.get(f"/backoffice/comptes/{world.account.pk}/"))
    assert "Ouvrir l'espace de l'usager" not in page


def test_the_account_page_offers_it_to_accueil(client, world):
    client.force_login(world.agent.user)
    page = text(client.get(f"/backoffice/comptes/{world.account.pk}/"))
    assert "Ouvrir l'espace de l'usager" in page


def test_an_agent_of_another_authority_gets_404(client, world):
    response = start(client, world, user=world.pilat_agent)
    assert response.status_code == 404
    assert SESSION_KEY not in client.session
    assert not AuditEntry.objects.exists()


def test_it_rejects_get(client, world):
    client.force_login(world.agent.user)
    response = client.get(f"/backoffice/comptes/{world.account.pk}/ouvrir-espace/")
    assert response.status_code == 405
    assert SESSION_KEY not in client.session


def test_a_visitor_is_sent_to_the_agents_login(client, world):
    response = client.post(f"/backoffice/comptes/{world.account.pk}/ouvrir-espace/")
    assert response.status_code == 302 and response["Location"].startswith("/backoffice/connexion/")


# --- Only that account -------------------------------------------------------------------


def test_only_that_account_is_reached_not_even_the_agents_own(client, acting):
    for other in (acting.neighbour_account, acting.own_account):
        assert client.get(f"{SPACE}?compte={other.pk}").status_code == 404
        assert client.get(f"{SPACE}mes-informations/?compte={other.pk}").status_code == 404
    assert client.get("/pilat-rhodanien/espace/").status_code == 404
    page = text(client.get(SPACE))
    assert "Compte affiché" not in page and "00003" not in page
    # The selector cannot switch to the agent's own account either.
    response = client.get(
        f"/espace/changer-de-compte/?compte=flandre-interieure:{acting.own_account.pk}"
    )
    assert client.get(response["Location"], follow=True).request["PATH_INFO"] == SPACE


def test_another_accounts_requests_are_404(client, acting):
    theirs = make_request(
        SimpleNamespace(account=acting.neighbour_account, resident=acting.neighbour),
        user=acting.neighbour,
    )
    assert client.get(f"{TRACKING}{theirs.pk}/").status_code == 404
    assert TRACKING + f"{theirs.pk}/" not in text(client.get(TRACKING))


def test_a_residents_own_session_is_never_affected(client, acting):
    resident = Client()
    resident.force_login(acting.resident)
    page = text(resident.get(SPACE))
    assert "Vous agissez" not in page and "Déconnexion" in page
    assert "PIERRE DUPONT - dupont59@gmail.com" in page
    assert resident.get("/flandre-interieure/espace/mot-de-passe/").status_code == 200
    response = resident.post(SPACE + "mes-informations/", {"objects_to_other_uses": "on"})
    assert response.status_code == 302
    # And the agent's own space, once he has left, is his again.
    client.post("/backoffice/espace-usager/quitter/")
    page = text(client.get(SPACE))
    assert "Vous agissez" not in page and "Référence abonné : 00003" in page


# --- A request made at the counter ---------------------------------------------------------


def test_a_request_made_on_behalf_says_so_in_suivi_the_agents_page_and_the_audit(client, acting):
    response = client.post(INFORMATIONS, informations_post())
    assert response.status_code == 302
    assert "enregistrée pour le compte de l'usager" in text(client.get(response["Location"]))
    made = ServiceRequest.objects.get()
    assert made.made_by_agent == acting.agent.user and made.requested_by is None
    assert made.requested["first_name"] == "PIERRICK"
    history = RequestStatusChange.objects.get(service_request=made)
    assert history.by_agent and history.changed_by == acting.agent.user
    assert history.note == COUNTER
    entry = AuditEntry.objects.get(action="service_request.create_on_behalf")
    assert entry.actor == acting.agent.user and entry.object_id == str(made.pk)
    assert entry.after["account"] == "00001" and entry.after["kind"] == "personal_information"
    # The acknowledgement goes to the account's email, not to the agent.
    assert OutboxMessage.objects.filter(to="dupont59@gmail.com").count() == 1
    assert not OutboxMessage.objects.filter(to=acting.agent.user.email).exists()

    resident = Client()
    resident.force_login(acting.resident)
    assert COUNTER in text(resident.get(TRACKING))
    assert COUNTER in text(resident.get(f"{TRACKING}{made.pk}/"))
    assert "jeanne.leroy" not in text(resident.get(f"{TRACKING}{made.pk}/"))
    page = text(client.get(f"/backoffice/demandes/{made.pk}/"))
    assert COUNTER in page and "(jeanne.leroy@flandre.example.org)" in page

    colleague = acting.colleagues[AgentRole.ADMINISTRATEUR].user
    service_request_accept(service_request=made, agent_user=colleague)
    acting.account.refresh_from_db()
    assert acting.account.first_name == "PIERRICK"
    page = text(resident.get(TRACKING))
    assert "ACCEPTÉ" in page and COUNTER in page


def test_at_the_counter_the_login_email_is_locked_and_only_the_phones_change(client, acting):
    page = text(client.get(COORDONNEES))
    assert re.search(r'<input[^>]*name="email"[^>]*disabled', page)
    assert "C'est l'identifiant de connexion de l'usager" in page
    response = client.post(COORDONNEES, coordonnees_post(email="pirate@example.org"))
    assert response.status_code == 302
    made = ServiceRequest.objects.get()
    assert made.requested["email"] == "dupont59@gmail.com"
    assert made.requested["mobile"] == "0600000007"
    service_request_accept(
        service_request=made, agent_user=acting.colleagues[AgentRole.ADMINISTRATEUR].user
    )
    acting.account.refresh_from_db()
    acting.resident.refresh_from_db()
    assert acting.account.mobile == "0600000007"
    assert acting.resident.email == "dupont59@gmail.com"
    assert acting.agent.user.email == "jeanne.leroy@flandre.example.org"
    assert not OutboxMessage.objects.filter(template="request_email_confirm").exists()


# --- What only the resident may do ---------------------------------------------------------

WATCHED = [
    Account,
    AccountAccess,
    AuditEntry,
    CalendarFeedToken,
    CollectionReminder,
    OutboxMessage,
    PersonalAccessToken,
    RequestMessage,
    RequestStatusChange,
    ServiceRequest,
    User,
]
NEW_PASSWORD = "Nouveau2passe@"
FORBIDDEN = [
    ("get", "mot-de-passe/", {}),
    (
        "post",
        "mot-de-passe/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    ),
    ("get", "associer/", {}),
    ("get", "associer/?commune=59043:59270", {}),
    ("post", "associer/cle/", {"key": "NEIGHBOR"}),
    ("post", "associer/compte/", {}),
    ("get", "associer/annuler/", {}),
    ("get", "associer/cle-d-activation/", {}),
    ("post", "associer/cle-d-activation/", {"last_name": "DUPONT", "street": "rue"}),
    ("get", "dissocier/{account}/", {}),
    ("post", "dissocier/{account}/", {}),
    ("post", "mes-informations/", {"objects_to_other_uses": "on"}),
    ("post", "suivi-de-mes-demandes/{request}/nouveau-lien/", {}),
    ("post", "suivi-de-mes-demandes/{request}/repondre/", {"body": "Voici le document."}),
    ("post", "calendrier/lien/", {}),
    ("get", "calendrier/revoquer/", {}),
    ("post", "calendrier/revoquer/", {"token": "{token}"}),
    ("post", "calendrier/rappels/", {"fluxes": "recyclables", "on_eve": "on"}),
    ("get", "mon-profil/jetons/nouveau/", {}),
    ("post", "mon-profil/jetons/nouveau/", {"name": "Guichet"}),
    ("get", "mon-profil/jetons/{access_token}/revoquer/", {}),
    ("post", "mon-profil/jetons/{access_token}/revoquer/", {}),
]


def db_state() -> dict:
    return {m.__name__: list(m.objects.order_by("pk").values()) for m in WATCHED}


@pytest.fixture
def forbidden_world(client, world):
    """A request of the resident waiting for a complement, and his calendar link; then the
    agent opens his space."""
    waiting = make_request(world, kind="contact_details", user=world.resident)
    ServiceRequest.objects.filter(pk=waiting.pk).update(
        status=RequestStatus.WAITING,
        outcome={"new_email": "dupontDU59@gmail.com", "confirmed_at": None},
    )
    token = feed_token_ensure(account=world.account, user=world.resident)
    access_token = token_create(user=world.resident, name="Domotique").token
    start(client, world)
    return {
        "account": world.account.pk,
        "request": waiting.pk,
        "token": token.pk,
        "access_token": access_token.pk,
    }


@pytest.mark.parametrize("method, path, data", FORBIDDEN)
def test_what_touches_the_residents_login_is_refused_and_changes_nothing(
    client, forbidden_world, method, path, data
):
    url = SPACE + path.format(**forbidden_world)
    data = {k: v.format(**forbidden_world) for k, v in data.items()}
    before = db_state()
    response = getattr(client, method)(url, data)
    assert response.status_code == 403, url
    page = text(response)
    assert "Action réservée à l'usager" in page and "Rien n'a été modifié." in page
    assert BANNER in page
    assert db_state() == before


def test_the_pages_do_not_offer_it(client, forbidden_world):
    pages = "".join(
        text(client.get(SPACE + path))
        for path in [
            "",
            "mes-informations/",
            "mon-profil/",
            "calendrier/",
            f"suivi-de-mes-demandes/{forbidden_world['request']}/",
        ]
    )
    for offered in [
        "/espace/mot-de-passe/",
        "Modifier mon mot de passe",
        "Modifier mes choix",
        "Associer un autre compte",
        "/dissocier/",
        "Obtenir mon lien d'agenda",
        "Révoquer ce lien",
        "/calendrier/ics/",
        "Recevoir un nouveau lien",
        "Envoyer ma réponse",
        "Déconnexion",
        "Jetons d'accès personnels",
        "/jetons/",
    ]:
        assert offered not in pages, offered
    # The choices are read, not changed.
    assert "Ces choix sont ceux de l'usager" in pages


def test_no_password_or_hash_is_ever_shown(client, forbidden_world, world):
    hashes = [world.resident.password, world.agent.user.password]
    paths = [
        "",
        "mes-informations/",
        "mon-profil/",
        "mes-bacs-levees/",
        "mes-services/",
        "mes-services/modifier-mes-coordonnees/",
        "mes-services/modifier-mes-informations-personnelles/",
        "suivi-de-mes-demandes/",
        f"suivi-de-mes-demandes/{forbidden_world['request']}/",
        "calendrier/",
    ]
    pages = [text(client.get(SPACE + path)) for path in paths]
    pages.append(text(client.get(f"/backoffice/comptes/{world.account.pk}/")))
    for page in pages:
        assert "argon2" not in page and "pbkdf2" not in page
        for value in hashes:
            assert value not in page
        assert PASSWORD not in page


# --- Leaving, expiry, and a role lost on the way -----------------------------------------


def test_leaving_is_audited_and_back_on_the_account_page(client, acting):
    response = client.post("/backoffice/espace-usager/quitter/")
    assert response["Location"] == f"/backoffice/comptes/{acting.account.pk}/"
    assert "Vous avez quitté l'espace de DUPONT PIERRE (code usager 00001)." in text(
        client.get(response["Location"])
    )
    assert SESSION_KEY not in client.session
    entry = AuditEntry.objects.get(action="account.act_on_behalf_stop")
    assert entry.actor == acting.agent.user and entry.after["expired"] is False


def test_leaving_rejects_get(client, acting):
    assert client.get("/backoffice/espace-usager/quitter/").status_code == 405
    assert SESSION_KEY in client.session


def test_opening_another_account_closes_the_first(client, acting):
    start(client, acting, account=acting.neighbour_account)
    assert "Vous agissez pour le compte de MARTIN MARIE (code usager 00002)" in text(
        client.get(SPACE)
    )
    assert client.get(f"{SPACE}?compte={acting.account.pk}").status_code == 404
    actions = list(AuditEntry.objects.order_by("pk").values_list("action", "object_id"))
    assert actions == [
        ("account.act_on_behalf_start", str(acting.account.pk)),
        ("account.act_on_behalf_stop", str(acting.account.pk)),
        ("account.act_on_behalf_start", str(acting.neighbour_account.pk)),
    ]


def test_the_marker_expires_and_the_space_stays_closed_until_the_agent_leaves(client, acting):
    past = timezone.now() - datetime.timedelta(seconds=1)
    set_marker(client, expires_at=past.isoformat())
    for path in ["", "mes-informations/", "mon-profil/", "mes-services/"]:
        response = client.get(SPACE + path)
        assert response.status_code == 403
        assert "Accès à l'espace de l'usager terminé" in text(response)
        assert "PIERRE" not in text(response)
    # A form left open in the counter's browser lands nowhere, not on the agent's own account.
    response = client.post(INFORMATIONS, informations_post())
    assert response.status_code == 403 and not ServiceRequest.objects.exists()
    client.post("/backoffice/espace-usager/quitter/")
    assert AuditEntry.objects.get(action="account.act_on_behalf_stop").after["expired"] is True
    assert "Référence abonné : 00003" in text(client.get(SPACE))


def test_the_marker_lasts_thirty_minutes(client, acting):
    marker = client.session[SESSION_KEY]
    started = datetime.datetime.fromisoformat(marker["started_at"])
    expires = datetime.datetime.fromisoformat(marker["expires_at"])
    assert expires - started == datetime.timedelta(minutes=30)


@pytest.mark.parametrize(
    "change",
    [
        {"role": AgentRole.CONSULTATION},
        {"role": AgentRole.FACTURATION},
        {"is_active": False},
    ],
)
def test_the_marker_ends_when_the_agent_may_no_longer(client, acting, change):
    Agent.objects.filter(pk=acting.agent.pk).update(**change)
    response = client.get(SPACE)
    assert response.status_code == 403
    assert "Accès à l'espace de l'usager terminé" in text(response)
    response = client.post(INFORMATIONS, informations_post())
    assert response.status_code == 403 and not ServiceRequest.objects.exists()


def test_the_marker_ends_when_the_authority_is_deactivated(client, acting):
    type(acting.ccfi).objects.filter(pk=acting.ccfi.pk).update(is_active=False)
    assert client.get(f"{SPACE}mon-profil/").status_code in (403, 404)
    assert BANNER not in text(client.get(f"{SPACE}mon-profil/"))


def test_a_marker_in_a_residents_session_reaches_nothing(client, world):
    """Only the agent it names, logged in, may use a marker: another login gets nothing of
    the account."""
    start(Client(), world)
    client.force_login(world.neighbour)
    session = client.session
    session[SESSION_KEY] = {
        "agent": world.agent.pk,
        "account": world.account.pk,
        "authority": world.ccfi.pk,
        "started_at": timezone.now().isoformat(),
        "expires_at": (timezone.now() + datetime.timedelta(minutes=5)).isoformat(),
    }
    session.save()
    response = client.get(f"{SPACE}?compte={world.account.pk}")
    assert response.status_code == 403 and "DUPONT" not in text(response)


@pytest.mark.parametrize(
    "junk",
    [
        {"agent": "x", "account": None, "authority": [], "expires_at": "junk"},
        {"agent": 1, "account": 1, "authority": 1, "expires_at": "2026-01-01T10:00:00"},
        {"expires_at": 12},
        {},
    ],
)
def test_a_junk_marker_never_answers_500(client, world, junk):
    client.force_login(world.agent.user)
    session = client.session
    session[SESSION_KEY] = junk
    session.save()
    assert client.get(SPACE).status_code == 403
    response = client.post("/backoffice/espace-usager/quitter/")
    assert response.status_code == 302 and SESSION_KEY not in client.session
    assert client.get(SPACE).status_code == 200


def test_a_direct_debit_asked_at_the_counter_keeps_the_iban_masked_in_the_audit(client, acting):
    response = client.post(
        SPACE + "mes-services/je-choisis-le-prelevement-automatique/",
        {
            "schedule": "echeance",
            "holder_name": "Pierre DUPONT",
            "iban": "FR76 3000 6000 0112 3456 7890 189",
            "bic": "",
            "signed_on": "2024-03-01",
            "consent": "on",
        },
    )
    assert response.status_code == 302
    made = ServiceRequest.objects.get()
    assert made.requested["iban"] == "FR7630006000011234567890189"  # whole, for the mandate
    entry = AuditEntry.objects.get(action="service_request.create_on_behalf")
    assert entry.after["requested"]["iban"] == "FR76 **** **** **** **** ***0 189"
    assert "0112 3456" not in str(entry.after) and "011234567890" not in str(entry.after)
