"""The « Agents » page: an administrator lists, adds, changes the role of, deactivates and
reactivates his authority's agents — audited, never leaving it without an administrator."""

import threading
from html import unescape

import pytest
from django.contrib.auth import authenticate
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from levee.accounts.models import User
from levee.agents import services as services_agents
from levee.agents.models import Agent
from levee.agents.roles import AgentRole
from levee.audit.models import AuditEntry
from testkit import PASSWORD, ccfi_world, make_user, pilat_world

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Nouveau-mot2passe!"


def text(response) -> str:
    return unescape(response.content.decode())


@pytest.fixture
def world():
    """CCFI with its administrator and an « Accueil » agent; Pilat with its administrator
    (the outsider)."""
    ccfi, _ = ccfi_world()
    pilat, _ = pilat_world()
    admin = Agent.objects.create(
        authority=ccfi, user=make_user("admin@flandre.example.org"), role=AgentRole.ADMINISTRATEUR
    )
    desk = Agent.objects.create(
        authority=ccfi, user=make_user("accueil@flandre.example.org"), role=AgentRole.ACCUEIL
    )
    outsider = Agent.objects.create(
        authority=pilat, user=make_user("admin@pilat.example.org"), role=AgentRole.ADMINISTRATEUR
    )
    return {"ccfi": ccfi, "pilat": pilat, "admin": admin, "desk": desk, "outsider": outsider}


class DeliveringClient(Client):
    """Runs what waits for the commit of each post (the outbox's delivery task) as a real
    commit would, so the emails reach mail.outbox."""

    capture = None

    def post(self, *args, **kwargs):
        with self.capture(execute=True):
            return super().post(*args, **kwargs)


@pytest.fixture
def admin_client(world, django_capture_on_commit_callbacks):
    client = DeliveringClient()
    client.capture = django_capture_on_commit_callbacks
    client.force_login(world["admin"].user)
    return client


def add(client, **data):
    return client.post("/backoffice/agents/", {"role": AgentRole.ACCUEIL, **data})


def test_the_administrator_lists_the_agents_of_his_authority_only(admin_client, world):
    page = text(admin_client.get("/backoffice/agents/"))
    assert "admin@flandre.example.org" in page and "accueil@flandre.example.org" in page
    assert "admin@pilat.example.org" not in page
    assert "Seul administrateur : nommez-en un autre avant de changer son rôle." in page
    assert f"/backoffice/agents/{world['admin'].pk}/desactiver/" not in page
    assert f"/backoffice/agents/{world['desk'].pk}/desactiver/" in page


def test_the_list_takes_a_constant_number_of_queries(admin_client, world):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get("/backoffice/agents/").status_code == 200
        return len(captured)

    before = queries()
    for n in range(5):
        Agent.objects.create(authority=world["ccfi"], user=make_user(f"a{n}@flandre.example.org"))
    assert queries() == before <= 5


def test_adding_an_existing_login_makes_it_an_agent_and_tells_the_person(admin_client, world):
    resident = make_user("claire@example.org")
    response = add(admin_client, email=" Claire@Example.org ", role=AgentRole.FACTURATION)
    assert response.status_code == 302
    agent = Agent.objects.get(authority=world["ccfi"], user=resident)
    assert agent.role == AgentRole.FACTURATION and agent.is_active
    entry = AuditEntry.objects.get(action="agent.add")
    assert entry.actor == world["admin"].user and entry.authority == world["ccfi"]
    assert entry.after == {"email": "claire@example.org", "role": "facturation", "is_active": True}
    (message,) = mail.outbox
    assert message.to == ["claire@example.org"]
    assert "avec le rôle « Facturation »" in message.body
    assert "/backoffice/connexion/" in message.body and "mot-de-passe" not in message.body
    assert authenticate(email="claire@example.org", password=PASSWORD) == resident
    page = text(admin_client.get("/backoffice/agents/"))
    assert "claire@example.org est agent de la collectivité, avec le rôle « Facturation »" in page


def test_a_new_login_chooses_its_password_from_the_email_then_logs_in(admin_client, world, mailbox):
    add(
        admin_client,
        email="julie.martin@flandre.example.org",
        first_name="Julie",
        last_name="Martin",
    )
    user = User.objects.get(email="julie.martin@flandre.example.org")
    assert not user.is_active and not user.has_usable_password()
    assert (user.first_name, user.last_name) == ("Julie", "Martin")
    page = text(admin_client.get("/backoffice/agents/"))
    assert "Julie MARTIN" in page and "Invitation envoyée : mot de passe pas encore choisi." in page

    link = mailbox.last_link("julie.martin@flandre.example.org", "/backoffice/mot-de-passe/")
    visitor = Client()
    form = visitor.get(link, follow=True)
    assert "Choisir votre mot de passe" in text(form)
    response = visitor.post(
        form.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )
    assert "Votre mot de passe est enregistré" in text(response)
    user.refresh_from_db()
    assert user.is_active
    login = visitor.post(
        "/backoffice/connexion/",
        {"email": "julie.martin@flandre.example.org", "password": NEW_PASSWORD},
    )
    assert login["Location"] == "/backoffice/"
    assert "Ce lien n'est plus valide" in text(Client().get(link, follow=True))


def test_a_weak_password_is_refused_next_to_its_field(admin_client, world, mailbox):
    add(admin_client, email="julie.martin@flandre.example.org")
    link = mailbox.last_link("julie.martin@flandre.example.org", "/backoffice/mot-de-passe/")
    visitor = Client()
    form = visitor.get(link, follow=True)
    response = visitor.post(
        form.redirect_chain[-1][0], {"new_password1": "court", "new_password2": "court"}
    )
    assert response.status_code == 200
    assert 'aria-invalid="true"' in text(response)
    assert not User.objects.get(email="julie.martin@flandre.example.org").is_active


def test_a_forged_password_link_is_refused(client, world):
    response = client.get("/backoffice/mot-de-passe/MQ/abc-def/", follow=True)
    assert "Ce lien n'est plus valide" in text(response)


def test_the_invitation_is_sent_again_to_a_login_without_password(admin_client, world, mailbox):
    add(admin_client, email="julie.martin@flandre.example.org")
    agent = Agent.objects.get(user__email="julie.martin@flandre.example.org")
    response = admin_client.post(f"/backoffice/agents/{agent.pk}/invitation/", follow=True)
    assert "Un nouveau lien pour choisir son mot de passe est envoyé" in text(response)
    assert len(mail.outbox) == 2
    assert AuditEntry.objects.filter(action="agent.invite").count() == 1
    response = admin_client.post(f"/backoffice/agents/{world['desk'].pk}/invitation/", follow=True)
    assert "a déjà un mot de passe : aucun lien envoyé" in text(response)
    assert len(mail.outbox) == 2


def test_an_agent_already_active_is_refused_next_to_the_email(admin_client, world):
    response = add(admin_client, email="ACCUEIL@flandre.example.org", role=AgentRole.CONSULTATION)
    assert response.status_code == 400
    assert "Cette personne est déjà agent de la collectivité." in text(response)
    world["desk"].refresh_from_db()
    assert world["desk"].role == AgentRole.ACCUEIL
    assert not AuditEntry.objects.exists() and not mail.outbox


def test_the_agent_of_another_authority_is_added_here_too(admin_client, world):
    add(admin_client, email="admin@pilat.example.org", role=AgentRole.CONSULTATION)
    assert Agent.objects.filter(user=world["outsider"].user).count() == 2
    world["outsider"].refresh_from_db()
    assert world["outsider"].role == AgentRole.ADMINISTRATEUR


@pytest.mark.parametrize(
    "data, field, message",
    [
        ({"email": "", "role": "accueil"}, "email", "Indiquez l'adresse email de l'agent."),
        (
            {"email": "pas-un-email", "role": "accueil"},
            "email",
            "Indiquez une adresse email valide",
        ),
        ({"email": "x@example.org"}, "role", "Choisissez le rôle de l'agent."),
        ({"email": "x@example.org", "role": "chef"}, "role", "Choisissez le rôle de l'agent."),
        ({"email": "x@example.org" * 30, "role": "accueil"}, "email", "254"),
    ],
)
def test_bad_input_gets_a_french_message_next_to_its_field_and_changes_nothing(
    admin_client, world, data, field, message
):
    users = User.objects.count()
    response = admin_client.post("/backoffice/agents/", data)
    assert response.status_code == 400
    page = text(response)
    assert message in page and f'id="id_{field}_error"' in page
    assert User.objects.count() == users and not AuditEntry.objects.exists()


def test_a_deactivated_agent_is_reactivated_by_adding_him_again(admin_client, world):
    admin_client.post(f"/backoffice/agents/{world['desk'].pk}/desactiver/")
    add(admin_client, email="accueil@flandre.example.org", role=AgentRole.CONSULTATION)
    world["desk"].refresh_from_db()
    assert world["desk"].is_active and world["desk"].role == AgentRole.CONSULTATION
    entry = AuditEntry.objects.get(action="agent.reactivate")
    assert entry.before == {"role": "accueil", "is_active": False}


def test_a_role_change_is_audited_and_counts_from_the_next_request(admin_client, world):
    desk = Client()
    desk.force_login(world["desk"].user)
    assert desk.get("/backoffice/calendriers/nouveau/").status_code == 200
    response = admin_client.post(
        f"/backoffice/agents/{world['desk'].pk}/role/", {"role": "consultation"}, follow=True
    )
    assert "accueil@flandre.example.org a désormais le rôle « Consultation »." in text(response)
    entry = AuditEntry.objects.get(action="agent.role_set")
    assert (entry.before, entry.after) == ({"role": "accueil"}, {"role": "consultation"})
    assert entry.object_id == str(world["desk"].pk)
    assert desk.get("/backoffice/calendriers/nouveau/").status_code == 403


def test_the_same_role_again_changes_nothing(admin_client, world):
    admin_client.post(f"/backoffice/agents/{world['desk'].pk}/role/", {"role": "accueil"})
    assert not AuditEntry.objects.exists()


def test_a_bad_role_gets_a_message_and_changes_nothing(admin_client, world):
    response = admin_client.post(
        f"/backoffice/agents/{world['desk'].pk}/role/", {"role": "chef"}, follow=True
    )
    assert "Choisissez le rôle de l'agent." in text(response)
    world["desk"].refresh_from_db()
    assert world["desk"].role == AgentRole.ACCUEIL


def test_a_deactivated_agent_is_sent_to_the_login_at_his_next_request(admin_client, world):
    desk = Client()
    desk.force_login(world["desk"].user)
    admin_client.post(f"/backoffice/agents/{world['desk'].pk}/desactiver/")
    world["desk"].refresh_from_db()
    assert not world["desk"].is_active
    response = desk.get("/backoffice/")
    assert response.status_code == 302 and "/backoffice/connexion/" in response["Location"]
    entry = AuditEntry.objects.get(action="agent.deactivate")
    assert entry.before == {"is_active": True, "role": "accueil"}
    page = text(admin_client.get("/backoffice/agents/"))
    assert "Agents désactivés (1)" in page
    admin_client.post(f"/backoffice/agents/{world['desk'].pk}/reactiver/")
    assert desk.get("/backoffice/").status_code == 200


@pytest.mark.parametrize("action, data", [("role/", {"role": "accueil"}), ("desactiver/", {})])
def test_the_last_administrator_cannot_remove_himself(admin_client, world, action, data):
    response = admin_client.post(
        f"/backoffice/agents/{world['admin'].pk}/{action}", data, follow=True
    )
    assert "La collectivité doit garder au moins un administrateur actif" in text(response)
    world["admin"].refresh_from_db()
    assert world["admin"].role == AgentRole.ADMINISTRATEUR and world["admin"].is_active
    assert not AuditEntry.objects.exists()


def test_an_administrator_steps_down_once_another_one_exists(admin_client, world):
    admin_client.post(f"/backoffice/agents/{world['desk'].pk}/role/", {"role": "administrateur"})
    response = admin_client.post(
        f"/backoffice/agents/{world['admin'].pk}/role/", {"role": "consultation"}
    )
    assert response["Location"] == "/backoffice/"
    assert admin_client.get("/backoffice/agents/").status_code == 403


def test_a_deactivated_administrator_does_not_count_as_the_other_one(world):
    other = Agent.objects.create(
        authority=world["ccfi"],
        user=make_user("ancien.admin@flandre.example.org"),
        role=AgentRole.ADMINISTRATEUR,
        is_active=False,
    )
    with pytest.raises(services_agents.LastAdministrator):
        services_agents.agent_deactivate(agent=world["admin"], by=world["admin"].user)
    services_agents.agent_reactivate(agent=other, by=world["admin"].user)
    assert services_agents.agent_deactivate(agent=world["admin"], by=world["admin"].user)


@pytest.mark.parametrize(
    "action, data",
    [
        ("role/", {"role": "consultation"}),
        ("desactiver/", {}),
        ("reactiver/", {}),
        ("invitation/", {}),
    ],
)
def test_an_administrator_of_another_authority_gets_404(client, world, action, data):
    client.force_login(world["outsider"].user)
    response = client.post(f"/backoffice/agents/{world['desk'].pk}/{action}", data)
    assert response.status_code == 404
    world["desk"].refresh_from_db()
    assert world["desk"].role == AgentRole.ACCUEIL and world["desk"].is_active
    assert not AuditEntry.objects.exists()


def test_a_resident_is_sent_to_the_agents_login(client, world):
    client.force_login(make_user("dupont59@gmail.com"))
    response = client.get("/backoffice/agents/")
    assert response.status_code == 302 and "/backoffice/connexion/" in response["Location"]


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_two_administrators_demoting_each_other_at_once_leave_one(world):
    second = world["desk"]
    Agent.objects.filter(pk=second.pk).update(role=AgentRole.ADMINISTRATEUR)
    barrier = threading.Barrier(2)
    refused = []

    def demote(agent, by):
        try:
            barrier.wait()
            services_agents.agent_role_set(agent=agent, role=AgentRole.ACCUEIL, by=by)
        except services_agents.LastAdministrator:
            refused.append(agent.pk)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=demote, args=(second, world["admin"].user)),
        threading.Thread(target=demote, args=(world["admin"], second.user)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(refused) == 1
    assert (
        Agent.objects.filter(
            authority=world["ccfi"], role=AgentRole.ADMINISTRATEUR, is_active=True
        ).count()
        == 1
    )


def test_the_operator_sets_a_role_in_the_admin_and_it_is_audited(world):
    operator = User.objects.create_superuser("operateur@levee.example.org", PASSWORD)
    client = Client()
    client.force_login(operator)
    desk = world["desk"]
    page = client.get(f"/admin/agents/agent/{desk.pk}/change/")
    assert 'name="role"' in page.content.decode()
    response = client.post(
        f"/admin/agents/agent/{desk.pk}/change/",
        {
            "authority": world["ccfi"].pk,
            "user": desk.user.pk,
            "role": AgentRole.FACTURATION,
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    desk.refresh_from_db()
    assert desk.role == AgentRole.FACTURATION
    entry = AuditEntry.objects.get(action="agent.change")
    assert entry.actor == operator and entry.authority == world["ccfi"]
    assert (entry.before, entry.after) == ({"role": "accueil"}, {"role": "facturation"})


def test_a_residents_reset_link_does_not_open_the_invitation_page(world):
    from django.contrib.auth.tokens import default_token_generator

    from levee.accounts.tokens import encode_uid

    user = world["desk"].user
    reset = default_token_generator.make_token(user)
    response = Client().get(f"/backoffice/mot-de-passe/{encode_uid(user.pk)}/{reset}/", follow=True)
    assert "Ce lien n'est plus valide" in text(response)
