"""The daily purge (`manage.py periodic`) does what « Données personnelles » states."""

import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone

from levee.accounts.models import AccountOpeningRequest, OpeningStatus, User
from levee.agents.models import Agent
from levee.agents.roles import AgentRole
from levee.lib.storage import private_storage
from levee.mailing.models import OutboxMessage, OutboxStatus
from levee.privacy.models import Connection, PurgeRun
from levee.privacy.services import privacy_purge
from levee.requests.models import RequestMessage, RequestStatus, ServiceRequest
from testkit import make_opening_request, make_user, pilat_world

from .conftest import ago, make_request_with_attachment

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


@pytest.fixture(autouse=True)
def _periods(settings):
    settings.PRIVACY_DOCUMENT_DAYS = 30
    settings.PRIVACY_CONNECTION_DAYS = 90
    settings.PRIVACY_UNACTIVATED_DAYS = 7
    settings.PRIVACY_OUTBOX_DAYS = 7


def purge(django_capture_on_commit_callbacks, **kwargs):
    with django_capture_on_commit_callbacks(execute=True):
        return privacy_purge(**kwargs)


@pytest.fixture
def pilat():
    authority, pelussin = pilat_world()
    return authority, pelussin


def test_it_deletes_a_proof_of_address_the_stated_time_after_the_decision(
    pilat, django_capture_on_commit_callbacks
):
    authority, pelussin = pilat
    user = make_user("paul.martin@example.org")
    old = make_opening_request(
        authority, pelussin, user, status=OpeningStatus.ACCEPTED, decided_at=ago(days=31)
    )
    recent = make_opening_request(
        authority,
        pelussin,
        make_user("jean@example.org"),
        status=OpeningStatus.REFUSED,
        decided_at=ago(days=29),
    )
    old_name, recent_name = old.proof.name, recent.proof.name
    assert private_storage.exists(old_name)

    counts = purge(django_capture_on_commit_callbacks)

    assert counts["proofs"] == 1
    old.refresh_from_db()
    recent.refresh_from_db()
    assert old.proof.name == "" and old.proof_content_type == ""
    assert not private_storage.exists(old_name)
    assert old.status == OpeningStatus.ACCEPTED  # the decision stays
    assert recent.proof.name == recent_name and private_storage.exists(recent_name)


def test_it_keeps_the_proof_of_a_request_still_waiting_for_an_agent(
    pilat, django_capture_on_commit_callbacks
):
    authority, pelussin = pilat
    user = make_user("paul.martin@example.org", active=False)
    waiting = make_opening_request(authority, pelussin, user, created_at=ago(days=200))
    purge(django_capture_on_commit_callbacks, now=timezone.now() + 400 * DAY)
    waiting.refresh_from_db()
    assert waiting.proof.name and private_storage.exists(waiting.proof.name)


def test_it_deletes_a_request_attachment_the_stated_time_after_the_request_was_handled(
    world, django_capture_on_commit_callbacks
):
    authority, account, user = world
    _, old = make_request_with_attachment(
        authority, account, user, status=RequestStatus.ACCEPTED, decided_at=ago(days=31)
    )
    _, recent = make_request_with_attachment(
        authority,
        account,
        user,
        kind="bin_intervention",
        status=RequestStatus.REFUSED,
        decided_at=ago(days=29),
    )
    _, open_one = make_request_with_attachment(
        authority, account, user, kind="termination", status=RequestStatus.PENDING
    )
    old_name = old.attachment.name

    counts = purge(django_capture_on_commit_callbacks)

    assert counts["attachments"] == 1
    old.refresh_from_db()
    assert old.attachment.name == "" and old.attachment_name == ""
    assert old.body == "Voici mon justificatif."  # the message stays in the thread
    assert not private_storage.exists(old_name)
    for kept in (recent, open_one):
        kept.refresh_from_db()
        assert kept.attachment.name and private_storage.exists(kept.attachment.name)


def test_it_deletes_a_login_never_activated_after_the_stated_days(
    django_capture_on_commit_callbacks,
):
    stale = make_user("jamais@example.org", active=False)
    fresh = make_user("hier@example.org", active=False)
    active = make_user("actif@example.org")
    User.objects.filter(pk__in=[stale.pk, active.pk]).update(date_joined=ago(days=8))
    User.objects.filter(pk=fresh.pk).update(date_joined=ago(days=6))

    counts = purge(django_capture_on_commit_callbacks)

    assert counts["logins"] == 1
    assert not User.objects.filter(pk=stale.pk).exists()
    assert User.objects.filter(pk__in=[fresh.pk, active.pk]).count() == 2


def test_it_keeps_an_unactivated_login_whose_opening_request_waits_for_an_agent(
    pilat, django_capture_on_commit_callbacks
):
    authority, pelussin = pilat
    user = make_user("paul.martin@example.org", active=False)
    make_opening_request(authority, pelussin, user)  # pending: email confirmed
    User.objects.filter(pk=user.pk).update(date_joined=ago(days=60))

    purge(django_capture_on_commit_callbacks)

    assert User.objects.filter(pk=user.pk).exists()


def test_it_keeps_an_unactivated_login_with_an_open_agent_invitation(
    world, django_capture_on_commit_callbacks
):
    authority, _, _ = world
    invited = make_user("nouvel.agent@example.org", active=False)
    Agent.objects.create(authority=authority, user=invited, role=AgentRole.ACCUEIL)
    former = make_user("ancien.agent@example.org", active=False)
    Agent.objects.create(authority=authority, user=former, role=AgentRole.ACCUEIL, is_active=False)
    User.objects.filter(pk__in=[invited.pk, former.pk]).update(date_joined=ago(days=30))

    purge(django_capture_on_commit_callbacks)

    assert User.objects.filter(pk=invited.pk).exists()
    assert not User.objects.filter(pk=former.pk).exists()


def test_it_deletes_an_unactivated_login_with_its_refused_opening_request_and_proof(
    pilat, django_capture_on_commit_callbacks
):
    authority, pelussin = pilat
    user = make_user("refuse@example.org", active=False)
    opening = make_opening_request(
        authority, pelussin, user, status=OpeningStatus.REFUSED, decided_at=ago(days=2)
    )
    User.objects.filter(pk=user.pk).update(date_joined=ago(days=10))
    name = opening.proof.name

    purge(django_capture_on_commit_callbacks)

    assert not User.objects.filter(pk=user.pk).exists()
    assert not AccountOpeningRequest.objects.filter(pk=opening.pk).exists()
    assert not private_storage.exists(name)


def test_it_deletes_what_was_never_confirmed_after_the_stated_days(
    pilat, world, django_capture_on_commit_callbacks
):
    authority, pelussin = pilat
    ccfi, _, _ = world
    opening = make_opening_request(
        authority, pelussin, None, status=OpeningStatus.EMAIL_PENDING, email="x@example.org"
    )
    AccountOpeningRequest.objects.filter(pk=opening.pk).update(created_at=ago(days=8))
    move_in, message = make_request_with_attachment(
        ccfi, None, None, kind="move_in", status=RequestStatus.UNCONFIRMED, email="y@example.org"
    )
    ServiceRequest.objects.filter(pk=move_in.pk).update(created_at=ago(days=8))
    names = [opening.proof.name, message.attachment.name]

    purge(django_capture_on_commit_callbacks)

    assert not AccountOpeningRequest.objects.filter(pk=opening.pk).exists()
    assert not ServiceRequest.objects.filter(pk=move_in.pk).exists()
    assert not RequestMessage.objects.filter(pk=message.pk).exists()
    assert not any(private_storage.exists(name) for name in names)


def test_it_blanks_the_bodies_of_delivered_emails_after_the_stated_days(
    django_capture_on_commit_callbacks,
):
    def message(status, sent_at):
        return OutboxMessage.objects.create(
            to="dupont59@gmail.com",
            subject="Activez votre espace",
            body_text="https://levee.example/activation/MQ/abc-123/",
            body_html='<a href="https://levee.example/activation/MQ/abc-123/">Activer</a>',
            template="activation",
            status=status,
            sent_at=sent_at,
        )

    old = message(OutboxStatus.SENT, ago(days=8))
    recent = message(OutboxStatus.SENT, ago(days=6))
    waiting = message(OutboxStatus.PENDING, None)
    OutboxMessage.objects.filter(pk=waiting.pk).update(created_at=ago(days=30))

    counts = purge(django_capture_on_commit_callbacks)

    assert counts["outbox"] == 1
    old.refresh_from_db()
    assert old.body_text == "" and old.body_html == ""
    assert old.to == "dupont59@gmail.com" and old.subject == "Activez votre espace"
    for kept in (recent, waiting):
        kept.refresh_from_db()
        assert "abc-123" in kept.body_text and "abc-123" in kept.body_html


def test_it_deletes_the_connections_older_than_the_stated_days(
    world, django_capture_on_commit_callbacks
):
    _, _, user = world
    old = Connection.objects.create(user=user, logged_in_at=ago(days=91), via="space")
    recent = Connection.objects.create(user=user, logged_in_at=ago(days=89), via="space")

    counts = purge(django_capture_on_commit_callbacks)

    assert counts["connections"] == 1
    assert list(Connection.objects.values_list("pk", flat=True)) == [recent.pk]
    assert old.pk != recent.pk


def test_it_runs_once_a_day_however_often_it_is_called(
    world, django_capture_on_commit_callbacks, django_assert_num_queries
):
    _, _, user = world
    assert purge(django_capture_on_commit_callbacks) is not None
    Connection.objects.create(user=user, logged_in_at=ago(days=100), via="space")
    with django_assert_num_queries(1):
        assert privacy_purge() is None
    assert Connection.objects.count() == 1  # due, but today's run was made
    tomorrow = timezone.now() + DAY
    assert purge(django_capture_on_commit_callbacks, now=tomorrow)["connections"] == 1
    assert PurgeRun.objects.count() == 2
    assert PurgeRun.objects.filter(finished_at__isnull=False).count() == 2


def test_manage_periodic_runs_the_purge(world, capsys, django_capture_on_commit_callbacks):
    _, _, user = world
    Connection.objects.create(user=user, logged_in_at=ago(days=100), via="space")
    with django_capture_on_commit_callbacks(execute=True):
        call_command("periodic")
    assert "privacy: 0 proofs, 0 attachments, 1 connections" in capsys.readouterr().out
    assert not Connection.objects.exists()
    call_command("periodic")
    assert "privacy: done today already" in capsys.readouterr().out
