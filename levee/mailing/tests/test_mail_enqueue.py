import pytest
from django.core import mail
from django.db import transaction

from levee.accounts.models import User
from levee.mailing.models import OutboxMessage, OutboxStatus
from levee.mailing.services import mail_enqueue

pytestmark = pytest.mark.django_db

CONTEXT = {"name": "Élodie & Cie", "space_url": "/flandre-interieure/espace/"}


class ChangeFailed(Exception):
    pass


def change_with_mail(authority, *, fail: bool = False):
    """A change (a new login) and the message it causes, in one transaction."""
    with transaction.atomic():
        User.objects.create_user("elodie@example.org", "Mot2passe@")
        mail_enqueue(
            to="elodie@example.org", template="welcome_test", context=CONTEXT, authority=authority
        )
        if fail:
            raise ChangeFailed


def test_it_stores_the_message_with_the_change(authority, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        change_with_mail(authority)
    message = OutboxMessage.objects.get()
    assert message.to == "elodie@example.org"
    assert message.authority == authority
    assert message.status == OutboxStatus.PENDING
    assert message.template == "welcome_test"
    # Nothing leaves before the commit: the delivery waits in an on_commit callback.
    assert len(callbacks) == 1 and mail.outbox == []


def test_it_stores_no_message_when_the_change_is_rolled_back(
    authority, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(ChangeFailed):
            change_with_mail(authority, fail=True)
    assert not User.objects.filter(email="elodie@example.org").exists()
    assert not OutboxMessage.objects.exists()
    assert callbacks == [] and mail.outbox == []


def test_it_delivers_the_message_once_the_transaction_commits(
    authority, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        change_with_mail(authority)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["elodie@example.org"]
    message = OutboxMessage.objects.get()
    assert message.status == OutboxStatus.SENT
    assert message.attempts == 1 and message.sent_at is not None and message.last_error == ""


def test_it_renders_a_french_subject_text_and_html_with_absolute_links(
    authority, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://dechets.example.org"
    with django_capture_on_commit_callbacks(execute=True):
        change_with_mail(authority)
    email = mail.outbox[0]
    assert email.subject == "Votre espace déchets — CCFI"
    assert email.extra_headers["Auto-Submitted"] == "auto-generated"
    link = "https://dechets.example.org/flandre-interieure/espace/"
    assert "Bonjour Élodie & Cie," in email.body
    assert link in email.body
    assert "Message automatique, merci de ne pas y répondre." in email.body
    [(html, mimetype)] = email.alternatives
    assert mimetype == "text/html"
    assert '<html lang="fr">' in html
    assert f'href="{link}"' in html
    assert "Bonjour Élodie &amp; Cie," in html
    assert "Ce message automatique vous est envoyé par Communauté de Communes Flandre" in html
    assert "background: #1d4e89" in html


def test_it_keeps_the_change_and_the_message_when_the_task_cannot_be_enqueued(
    authority, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "levee.no_such_backend.Backend"}}
    with django_capture_on_commit_callbacks(execute=True):
        change_with_mail(authority)
    assert User.objects.filter(email="elodie@example.org").exists()
    assert OutboxMessage.objects.get().status == OutboxStatus.PENDING
    assert mail.outbox == []
