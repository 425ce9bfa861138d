"""Nobody takes over a login through « Je crée mon espace » or « Ouvrir un compte
maintenant »: an anonymous form never changes an existing login, and an address that
already has one gets the same answer as a new one (its owner gets an email)."""

import re
from html import unescape

import pytest
from django.contrib.auth import authenticate
from django.test import Client

from levee.accounts.models import AccountAccess, AccountOpeningRequest, OpeningStatus, User
from levee.accounts.tests.test_opening_request import FORM, opening_data
from levee.accounts.tests.test_signup import signup_data
from levee.agents import services as services_agents
from levee.agents.models import Agent
from levee.agents.roles import AgentRole
from levee.agents.services import opening_request_accept
from levee.mailing.models import OutboxMessage
from testkit import (
    PASSWORD,
    ccfi_world,
    make_account,
    make_opening_request,
    make_user,
    pilat_world,
)

pytestmark = pytest.mark.django_db

SIGNUP = "/flandre-interieure/creer-mon-espace/"
ATTACKER_PASSWORD = "Pirate-2passe!"
VICTIM_PASSWORD = "Victime-2passe!"


def text(response) -> str:
    return unescape(response.content.decode())


def last_link(to: str, marker: str) -> str:
    """The path of the newest link containing `marker` in an email stored for `to`."""
    for message in OutboxMessage.objects.filter(to=to).order_by("-pk"):
        found = re.search(r"https?://[^/\s]+(\S*" + re.escape(marker) + r"\S*)", message.body_text)
        if found:
            return found.group(1)
    raise AssertionError(f"no email to {to} with a link containing {marker!r}")


def templates_sent(to: str) -> list[str]:
    return list(
        OutboxMessage.objects.filter(to=to).order_by("pk").values_list("template", flat=True)
    )


def attacker_signs_up(client, email: str):
    """The attacker holds his own invoice's references (account 00001, DUPONT PSEMCSMJ)."""
    return client.post(
        SIGNUP,
        signup_data(email=email, password=ATTACKER_PASSWORD, password_confirm=ATTACKER_PASSWORD),
    )


def attacker_opens(client, email: str):
    return client.post(
        FORM,
        opening_data(email=email, password=ATTACKER_PASSWORD, password_confirm=ATTACKER_PASSWORD),
    )


@pytest.fixture
def both_worlds():
    ccfi, account = ccfi_world()
    pilat, pelussin = pilat_world()
    return {"ccfi": ccfi, "account": account, "pilat": pilat, "pelussin": pelussin}


def test_a_sign_up_with_the_email_of_a_request_waiting_for_an_agent_changes_nothing(
    client, both_worlds
):
    victim = make_user("claire.durand@example.org", password=VICTIM_PASSWORD, active=False)
    opening = make_opening_request(both_worlds["pilat"], both_worlds["pelussin"], victim)
    password_before = victim.password

    response = attacker_signs_up(client, "claire.durand@example.org")

    assert response.status_code == 302 and response["Location"].endswith("/envoye/")
    victim.refresh_from_db()
    assert victim.password == password_before and not victim.is_active
    assert not AccountAccess.objects.filter(user=victim).exists()
    assert templates_sent("claire.durand@example.org") == ["signup_existing"]
    # The agent accepts: the person logs in with her own password, never the attacker's.
    agent = make_user("agent.pilat@example.org")
    Agent.objects.create(authority=both_worlds["pilat"], user=agent)
    opening_request_accept(opening_request=opening, agent_user=agent)
    assert authenticate(email="claire.durand@example.org", password=ATTACKER_PASSWORD) is None
    assert authenticate(email="claire.durand@example.org", password=VICTIM_PASSWORD) == victim


def test_an_opening_request_with_the_email_of_an_active_login_changes_nothing(client, both_worlds):
    victim = make_user("claire.durand@example.org", password=VICTIM_PASSWORD)

    response = attacker_opens(client, "claire.durand@example.org")

    assert response.status_code == 302 and response["Location"].endswith("/envoyee/")
    assert not AccountOpeningRequest.objects.exists()
    victim.refresh_from_db()
    assert victim.check_password(VICTIM_PASSWORD)
    assert templates_sent("claire.durand@example.org") == ["opening_existing"]


def test_an_agents_invitation_stays_valid_whatever_residents_forms_do_with_his_email(
    client, both_worlds
):
    administrator = make_user("admin@flandre.example.org")
    Agent.objects.create(
        authority=both_worlds["ccfi"], user=administrator, role=AgentRole.ADMINISTRATEUR
    )
    services_agents.agent_add(
        authority=both_worlds["ccfi"],
        email="julie.martin@flandre.example.org",
        role=AgentRole.ACCUEIL,
        by=administrator,
    )
    invitation = last_link("julie.martin@flandre.example.org", "/backoffice/mot-de-passe/")

    attacker_signs_up(client, "julie.martin@flandre.example.org")
    attacker_opens(client, "julie.martin@flandre.example.org")

    agent_user = User.objects.get(email="julie.martin@flandre.example.org")
    assert not agent_user.has_usable_password() and not agent_user.is_active
    assert not AccountAccess.objects.filter(user=agent_user).exists()
    assert not AccountOpeningRequest.objects.exists()
    assert templates_sent("julie.martin@flandre.example.org") == [
        "agent_invitation",
        "signup_existing",
        "opening_existing",
    ]
    # The resident's password never logs in.
    login = Client().post(
        "/flandre-interieure/connexion/",
        {"email": "julie.martin@flandre.example.org", "password": ATTACKER_PASSWORD},
    )
    assert "Identifiant ou mot de passe incorrect." in text(login)
    # The invitation still lets the agent choose his password.
    visitor = Client()
    form = visitor.get(invitation, follow=True)
    assert "Choisir votre mot de passe" in text(form)
    visitor.post(
        form.redirect_chain[-1][0],
        {"new_password1": "Nouveau-mot2passe!", "new_password2": "Nouveau-mot2passe!"},
    )
    agent_user.refresh_from_db()
    assert agent_user.is_active and agent_user.check_password("Nouveau-mot2passe!")
    assert (
        authenticate(email="julie.martin@flandre.example.org", password=ATTACKER_PASSWORD) is None
    )


def test_a_sign_up_answers_a_known_email_with_the_same_page_as_a_new_one(client, both_worlds):
    make_user("connu@example.org")
    known = Client().post(SIGNUP, signup_data(email="connu@example.org"), follow=True)
    unknown = Client().post(SIGNUP, signup_data(email="inconnu@example.org"), follow=True)
    assert known.redirect_chain == unknown.redirect_chain
    assert text(known).replace("connu@", "X@") == text(unknown).replace("inconnu@", "X@")
    assert "Un email vous a été envoyé" in text(known)
    assert templates_sent("connu@example.org") == ["signup_existing"]
    assert templates_sent("inconnu@example.org") == ["activation"]
    assert User.objects.count() == 1


def test_an_opening_answers_a_known_email_with_the_same_page_as_a_new_one(client, both_worlds):
    make_user("connu@example.org")
    known = Client().post(FORM, opening_data(email="connu@example.org"), follow=True)
    unknown = Client().post(FORM, opening_data(email="inconnu@example.org"), follow=True)
    assert known.redirect_chain == unknown.redirect_chain
    assert text(known).replace("connu@", "X@") == text(unknown).replace("inconnu@", "X@")
    assert "Un email vous a été envoyé" in text(known)
    assert templates_sent("connu@example.org") == ["opening_existing"]
    assert templates_sent("inconnu@example.org") == ["opening_confirm"]


def test_the_email_to_a_known_address_says_how_to_get_in_and_to_associate_the_account(
    client, both_worlds
):
    make_user("connu@example.org")
    client.post(SIGNUP, signup_data(email="connu@example.org"))
    body = OutboxMessage.objects.get(to="connu@example.org").body_text
    for words in (
        "/flandre-interieure/connexion/",
        "/flandre-interieure/mot-de-passe-oublie/",
        "« Mon profil » → « Associer un autre compte »",
        "identifiant portail (clé d'activation)",
        "rien n'a été créé ni modifié",
    ):
        assert words in body
    assert "PSEMCSMJ" not in body  # the key stays on the invoice


def test_a_known_email_is_throttled_like_a_new_one(client, both_worlds):
    make_user("connu@example.org")
    for _ in range(10):
        client.post(SIGNUP, signup_data(email="connu@example.org"))
    response = client.post(SIGNUP, signup_data(email="connu@example.org"))
    assert "Trop de tentatives" in text(response)
    assert OutboxMessage.objects.filter(to="connu@example.org").count() == 10


def test_two_sign_ups_of_one_email_open_one_login_and_the_other_link_changes_nothing(
    client, both_worlds
):
    other = make_account(
        both_worlds["ccfi"], code="00002", portal_key="QWERTYUP", last_name="DURAND"
    )
    client.post(
        SIGNUP,
        signup_data(
            email="claire@example.org", password=VICTIM_PASSWORD, password_confirm=VICTIM_PASSWORD
        ),
    )
    own_link = last_link("claire@example.org", "/activation/")
    Client().post(
        SIGNUP,
        signup_data(
            email="claire@example.org",
            name="DURAND",
            portal_key="QWERTYUP",
            password=ATTACKER_PASSWORD,
            password_confirm=ATTACKER_PASSWORD,
        ),
    )
    attackers_link = last_link("claire@example.org", "/activation/")
    assert own_link != attackers_link
    assert not User.objects.exists()  # nothing before a link is followed

    assert client.get(own_link).status_code == 302
    user = User.objects.get(email="claire@example.org")
    assert user.is_active and user.check_password(VICTIM_PASSWORD)

    response = client.get(attackers_link)
    assert "Un espace existe déjà avec cette adresse email" in text(response)
    user.refresh_from_db()
    assert user.check_password(VICTIM_PASSWORD)
    assert not AccountAccess.objects.filter(user=user, account=other).exists()


def test_an_opening_confirmed_by_its_email_drops_the_others_of_that_address(client, both_worlds):
    Client().post(
        FORM,
        opening_data(
            email="claire@example.org",
            password=ATTACKER_PASSWORD,
            password_confirm=ATTACKER_PASSWORD,
        ),
    )
    client.post(
        FORM,
        opening_data(
            email="claire@example.org",
            password=VICTIM_PASSWORD,
            password_confirm=VICTIM_PASSWORD,
            last_name="Durand",
        ),
    )
    assert AccountOpeningRequest.objects.count() == 2 and not User.objects.exists()
    own = last_link("claire@example.org", "/confirmer/")

    client.get(own)

    opening = AccountOpeningRequest.objects.get()
    assert opening.last_name == "Durand" and opening.status == OpeningStatus.PENDING
    assert opening.password == ""  # the hash moved to the login
    user = opening.user
    assert user.email == "claire@example.org" and not user.is_active
    assert user.check_password(VICTIM_PASSWORD)


def test_an_opening_link_followed_after_a_login_took_the_email_changes_nothing(client, both_worlds):
    client.post(FORM, opening_data(email="claire@example.org"))
    link = last_link("claire@example.org", "/confirmer/")
    existing = make_user("claire@example.org", password=VICTIM_PASSWORD)

    response = client.get(link)

    assert "Un espace existe déjà avec cette adresse email" in text(response)
    opening = AccountOpeningRequest.objects.get()
    assert opening.status == OpeningStatus.EMAIL_PENDING and opening.user is None
    existing.refresh_from_db()
    assert existing.check_password(VICTIM_PASSWORD)


def test_a_sign_up_link_followed_after_a_login_took_the_email_changes_nothing(client, both_worlds):
    client.post(SIGNUP, signup_data(email="claire@example.org"))
    link = last_link("claire@example.org", "/activation/")
    existing = make_user("claire@example.org", password=VICTIM_PASSWORD, active=False)

    response = client.get(link)

    assert "Un espace existe déjà avec cette adresse email" in text(response)
    existing.refresh_from_db()
    assert existing.check_password(VICTIM_PASSWORD) and not existing.is_active
    assert not AccountAccess.objects.exists()


def test_the_login_says_a_sign_up_waits_for_its_link_only_to_whoever_knows_its_password(
    client, both_worlds
):
    client.post(SIGNUP, signup_data())
    login = "/flandre-interieure/connexion/"

    wrong = client.post(login, {"email": "dupont59@gmail.com", "password": "Mauvais-2passe!"})
    assert "Identifiant ou mot de passe incorrect." in text(wrong)
    assert "Renvoyer le lien d'activation" not in text(wrong)

    right = client.post(login, {"email": "dupont59@gmail.com", "password": PASSWORD})
    assert "n'est pas encore activé" in text(right)
    assert "Renvoyer le lien d'activation" in text(right)
    client.post("/flandre-interieure/activation/renvoyer/")
    assert templates_sent("dupont59@gmail.com") == ["activation", "activation"]
    # The new link opens the space.
    assert client.get(last_link("dupont59@gmail.com", "/activation/")).status_code == 302
    assert User.objects.get(email="dupont59@gmail.com").is_active


def test_the_login_says_an_opening_waits_for_its_confirmation(client, both_worlds):
    client.post(FORM, opening_data())
    response = client.post(
        "/pilat-rhodanien/connexion/", {"email": "paul.martin@example.org", "password": PASSWORD}
    )
    assert "Confirmez d'abord votre demande" in text(response)
