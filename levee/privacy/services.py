"""What the « Données personnelles » page promises, done: the daily purge of what is kept no
longer than stated, the « Dernières connexions » record, and « Supprimer mon identifiant »."""

import datetime
import ipaddress
import logging
from importlib import import_module

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, ProtectedError, RestrictedError
from django.utils import timezone
from django_otp import devices_for_user

from levee.accounts.models import (
    AccountAccess,
    AccountOpeningRequest,
    OpeningStatus,
    PendingSignup,
    User,
)
from levee.agents.models import Agent
from levee.lib.storage import private_storage
from levee.mailing.models import OutboxMessage, OutboxStatus
from levee.mailing.services import mail_enqueue
from levee.requests.models import OPEN_STATUSES, RequestMessage, RequestStatus, ServiceRequest
from levee.tokens.models import PersonalAccessToken

from .models import Connection, ConnectionVia, PurgeRun
from .selectors import login_erasable

logger = logging.getLogger(__name__)

USER_AGENT_MAX_LENGTH = Connection._meta.get_field("user_agent").max_length
# A request is handled once decided either way; its documents are then kept
# PRIVACY_DOCUMENT_DAYS days.
HANDLED_REQUEST = (RequestStatus.ACCEPTED, RequestStatus.REFUSED)
HANDLED_OPENING = (OpeningStatus.ACCEPTED, OpeningStatus.REFUSED)
# Runs of the purge are kept this long (what was removed when), then removed too.
PURGE_RUNS_KEPT = datetime.timedelta(days=400)


def days(n: int) -> datetime.timedelta:
    return datetime.timedelta(days=n)


# --- « Dernières connexions » --------------------------------------------------------------


def connection_record(
    *, user: User, ip_address: str, user_agent: str, via: str, now=None
) -> Connection:
    """One successful login of `user`. An address that is not one (a proxy's header may
    carry anything) is not kept rather than refused: the login itself succeeded."""
    try:
        address = str(ipaddress.ip_address((ip_address or "").strip()))
    except ValueError:
        address = None
    return Connection.objects.create(
        user=user,
        logged_in_at=now or timezone.now(),
        ip_address=address,
        user_agent=(user_agent or "")[:USER_AGENT_MAX_LENGTH],
        via=via if via in ConnectionVia.values else ConnectionVia.SPACE,
    )


# --- The daily purge -------------------------------------------------------------------


def _delete_files_on_commit(names: list[str]) -> None:
    """The files go once the rows that name them have changed for good; a file already gone
    (removed by hand, a purge that died after its commit) is no error."""

    def delete():
        for name in names:
            try:
                private_storage.delete(name)
            except OSError:
                logger.warning("privacy purge: could not delete %s", name)

    if names:
        transaction.on_commit(delete)


@transaction.atomic
def _opening_proofs_purge(*, cutoff: datetime.datetime) -> int:
    """Proofs of address of the opening requests decided before `cutoff`: the file and the
    field; the request itself stays (the agent's decision and the account it opened)."""
    handled = AccountOpeningRequest.objects.filter(
        status__in=HANDLED_OPENING, decided_at__lt=cutoff
    ).exclude(proof="")
    rows = list(handled.values_list("pk", "proof"))
    if not rows:
        return 0
    AccountOpeningRequest.objects.filter(pk__in=[pk for pk, _ in rows]).update(
        proof="", proof_content_type="", updated_at=timezone.now()
    )
    _delete_files_on_commit([name for _, name in rows])
    return len(rows)


@transaction.atomic
def _attachments_purge(*, cutoff: datetime.datetime) -> int:
    """Attachments (proofs of J'emménage, of a move or a termination, photos, messages'
    files) of the requests decided before `cutoff`: the file and its fields; the message
    stays in the thread."""
    handled = RequestMessage.objects.filter(
        service_request__status__in=HANDLED_REQUEST, service_request__decided_at__lt=cutoff
    ).exclude(attachment="")
    rows = list(handled.values_list("pk", "attachment"))
    if not rows:
        return 0
    RequestMessage.objects.filter(pk__in=[pk for pk, _ in rows]).update(
        attachment="", attachment_content_type="", attachment_name=""
    )
    _delete_files_on_commit([name for _, name in rows])
    return len(rows)


@transaction.atomic
def _unconfirmed_purge(*, cutoff: datetime.datetime) -> int:
    """Opening requests and « J'emménage » requests whose email was never confirmed (their
    link expired long ago), and sign-ups never activated: they never reached an agent."""
    openings = AccountOpeningRequest.objects.filter(
        status=OpeningStatus.EMAIL_PENDING, created_at__lt=cutoff
    )
    names = [name for name in openings.values_list("proof", flat=True) if name]
    removed, _ = openings.delete()
    unconfirmed = ServiceRequest.objects.filter(
        status=RequestStatus.UNCONFIRMED, created_at__lt=cutoff
    )
    names += _attachment_names(RequestMessage.objects.filter(service_request__in=unconfirmed))
    removed += unconfirmed.count()
    unconfirmed.delete()
    removed += PendingSignup.objects.filter(created_at__lt=cutoff).delete()[0]
    _delete_files_on_commit(names)
    return removed


def _attachment_names(messages) -> list[str]:
    return [name for name in messages.exclude(attachment="").values_list("attachment", flat=True)]


def unactivated_logins(*, cutoff: datetime.datetime):
    """Logins created before `cutoff` and never activated, except those an agent still has
    to deal with: an opening request waiting for his decision, an agent's invitation open
    (an active agent row), and any login the platform's records name (PROTECT)."""
    return (
        User.objects.filter(is_active=False, date_joined__lt=cutoff)
        .filter(activated_at__isnull=True, last_login__isnull=True)
        .filter(is_staff=False, is_superuser=False)
        .exclude(opening_requests__status=OpeningStatus.PENDING)
        .exclude(Exists(Agent.objects.filter(user=OuterRef("pk"), is_active=True)))
    )


@transaction.atomic
def _unactivated_logins_purge(*, cutoff: datetime.datetime) -> int:
    removed = 0
    for user in unactivated_logins(cutoff=cutoff):
        names = _login_documents(user)
        try:
            with transaction.atomic():
                user.delete()
        except (ProtectedError, RestrictedError):
            continue  # named by an audit entry: an agent's business, not a purge's
        _delete_files_on_commit(names)
        removed += 1
    return removed


def _login_documents(user: User) -> list[str]:
    """The files that go with the login: its opening requests' proofs, and the attachments
    of its requests made without an account that are still open (none of the authority's)."""
    names = [
        name
        for name in AccountOpeningRequest.objects.filter(user=user).values_list("proof", flat=True)
        if name
    ]
    return names + _attachment_names(
        RequestMessage.objects.filter(service_request__in=_pending_requests_of(user))
    )


def _pending_requests_of(user: User):
    return ServiceRequest.objects.filter(
        requested_by=user,
        account__isnull=True,
        status__in=[RequestStatus.UNCONFIRMED, *OPEN_STATUSES],
    )


@transaction.atomic
def _outbox_bodies_purge(*, cutoff: datetime.datetime) -> int:
    """The texts of the emails delivered before `cutoff` (links included); who was written
    to, what about and when stay, as the record that the message went."""
    return (
        OutboxMessage.objects.filter(status=OutboxStatus.SENT, sent_at__lt=cutoff)
        .exclude(body_text="", body_html="")
        .update(body_text="", body_html="", updated_at=timezone.now())
    )


def privacy_purge(*, now: datetime.datetime | None = None) -> dict[str, int] | None:
    """Removes, once a day, what the « Données personnelles » page says is kept no longer:
    proofs of address and request attachments PRIVACY_DOCUMENT_DAYS after the request was
    handled, connections after PRIVACY_CONNECTION_DAYS, logins never activated (and
    requests never confirmed) after PRIVACY_UNACTIVATED_DAYS, the bodies of delivered emails
    after PRIVACY_OUTBOX_DAYS.

    Called by `manage.py periodic` every few minutes: None (one query) when today's run was
    made already, in this process or another. Each part is its own transaction and removes
    what is due whenever it runs, so a run that dies is caught up by the next day's."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    if PurgeRun.objects.filter(day=today).exists():
        return None
    try:
        with transaction.atomic():
            run = PurgeRun.objects.create(day=today, started_at=now)
    except IntegrityError:
        return None  # another process claimed today's run a moment ago
    counts = {
        "proofs": _opening_proofs_purge(cutoff=now - days(settings.PRIVACY_DOCUMENT_DAYS)),
        "attachments": _attachments_purge(cutoff=now - days(settings.PRIVACY_DOCUMENT_DAYS)),
        "connections": Connection.objects.filter(
            logged_in_at__lt=now - days(settings.PRIVACY_CONNECTION_DAYS)
        ).delete()[0],
        "unconfirmed": _unconfirmed_purge(cutoff=now - days(settings.PRIVACY_UNACTIVATED_DAYS)),
        "logins": _unactivated_logins_purge(cutoff=now - days(settings.PRIVACY_UNACTIVATED_DAYS)),
        "outbox": _outbox_bodies_purge(cutoff=now - days(settings.PRIVACY_OUTBOX_DAYS)),
    }
    PurgeRun.objects.filter(day__lt=today - PURGE_RUNS_KEPT).delete()
    run.finished_at = timezone.now()
    run.counts = counts
    run.save(update_fields=["finished_at", "counts"])
    return counts


# --- « Supprimer mon identifiant » --------------------------------------------------------


class LoginIsAgent(Exception):
    """The login works for an authority (or runs the platform): an administrator must
    remove it from the agents first."""


@transaction.atomic
def login_erase(*, user: User, authority=None) -> None:
    """« Supprimer mon identifiant »: the login and what is personal to it go (accesses,
    sessions, last connections, second factors, opening requests and requests still
    pending without an account, with their files); the accounts, their invoices, payments
    and decided requests stay with their authority. A confirmation is mailed to the address
    (through `authority` for its name and colours).

    A login that the platform's records name (an audit entry's actor, a request made at the
    counter) cannot be deleted: it is anonymised instead, and nothing personal remains.
    Raises LoginIsAgent for an active agent or the operator."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if not login_erasable(user):
        raise LoginIsAgent(user.email)
    mail_enqueue(
        to=user.email,
        template="account_deleted",
        context={"email": user.email},
        authority=authority,
    )
    names = _login_documents(user)
    _sessions_end(user)
    _pending_requests_of(user).delete()
    AccountOpeningRequest.objects.filter(user=user).delete()
    try:
        with transaction.atomic():
            user.delete()
    except (ProtectedError, RestrictedError):
        _login_anonymise(user)
    _delete_files_on_commit(names)


def _login_anonymise(user: User) -> None:
    AccountAccess.objects.filter(user=user).delete()
    Connection.objects.filter(user=user).delete()
    PersonalAccessToken.objects.filter(user=user).delete()
    for device in devices_for_user(user, confirmed=None):
        device.delete()
    user.email = f"identifiant-supprime-{user.pk}@levee.invalid"
    user.first_name = ""
    user.last_name = ""
    user.password = make_password(None)
    user.is_active = False
    user.last_login = None
    user.save(
        update_fields=["email", "first_name", "last_name", "password", "is_active", "last_login"]
    )


def _sessions_end(user: User) -> None:
    """Every session of the login, on every browser. With the database sessions they are
    found by reading them; any other engine loses them anyway, since Django drops a session
    whose login is gone or whose password changed."""
    if settings.SESSION_ENGINE not in (
        "django.contrib.sessions.backends.db",
        "django.contrib.sessions.backends.cached_db",
    ):
        return
    from django.contrib.sessions.models import Session

    store = import_module(settings.SESSION_ENGINE).SessionStore
    uid = str(user.pk)
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if str(session.get_decoded().get("_auth_user_id")) == uid:
            store(session_key=session.session_key).delete()  # the cache's copy too
