"""Writes of the accounts domain: sign-up with references (seed 004), opening requests
(seed 000), activation. Every email goes through the outbox in the same transaction.

No anonymous form changes an existing login: a sign-up and an opening request keep their
own password hash until the owner of the email follows the link sent to it, and an address
that already has a login only gets an email saying how to get in."""

import enum

from django.contrib.auth.hashers import make_password
from django.core.files import File
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from levee.audit.services import audit_write
from levee.mailing.services import mail_enqueue

from .models import AccountAccess, AccountOpeningRequest, OpeningStatus, PendingSignup, User
from .tokens import activation_token, encode_uid, opening_confirm_token


def _login_exists(email: str) -> bool:
    return User.objects.filter(email__iexact=email.strip()).exists()


def _login_exists_notice(*, authority, email: str, template: str) -> None:
    """The address already has a login: nothing is created or changed, and its owner is
    told how to get in (log in, « Mot de passe oublié », « Associer un autre compte »)."""
    mail_enqueue(
        to=email,
        template=template,
        context={
            "login_url": reverse("accounts:login", args=[authority.slug]),
            "reset_url": reverse("accounts:password_reset", args=[authority.slug]),
        },
        authority=authority,
    )


def _activation_url(pending: PendingSignup) -> str:
    return reverse(
        "accounts:activate",
        args=[pending.authority.slug, encode_uid(pending.pk), activation_token.make_token(pending)],
    )


def _activation_send(pending: PendingSignup) -> None:
    mail_enqueue(
        to=pending.email,
        template="activation",
        context={"activation_url": _activation_url(pending), "account": pending.account},
        authority=pending.authority,
    )


@transaction.atomic
def signup_with_references(
    *, authority, account, email: str, password: str
) -> PendingSignup | None:
    """« Je crée mon espace »: stores a pending sign-up and mails its activation link; the
    login is created only when the link is followed. For an address that already has a
    login (active, waiting for an agent, an invited agent) nothing is stored and its owner
    gets an email saying what to do; the screen answers the same either way. Returns the
    pending sign-up (None for a known address)."""
    email = User.objects.normalize_email(email.strip())
    # Hashed before knowing whether the address is known: both answers take the same time.
    password_hash = make_password(password)
    if _login_exists(email):
        _login_exists_notice(authority=authority, email=email, template="signup_existing")
        return None
    pending = PendingSignup.objects.create(
        authority=authority, account=account, email=email, password=password_hash
    )
    _activation_send(pending)
    return pending


@transaction.atomic
def activation_resend(*, pending: PendingSignup) -> None:
    """A new link for a pending sign-up not used yet (the previous one may be lost)."""
    if pending.used_at is None:
        _activation_send(pending)


class SignupOutcome(enum.Enum):
    ACTIVATED = "activated"  # the login now exists, active, with the account's access
    ALREADY_USED = "already_used"  # a second click on the same link
    LOGIN_EXISTS = "login_exists"  # another login took this email since: nothing changed


@transaction.atomic
def signup_activate(*, pending: PendingSignup) -> SignupOutcome:
    """The activation link was followed, so the address is proven: creates the login,
    active, with the password chosen at sign-up and the account's access, unless a login
    with this email exists by now (then nothing changes: an anonymous form never touches an
    existing login). The other logins of the account are told."""
    if _login_exists(pending.email):
        return SignupOutcome.LOGIN_EXISTS
    now = timezone.now()
    claimed = PendingSignup.objects.filter(pk=pending.pk, used_at__isnull=True).update(
        used_at=now, updated_at=now
    )
    if not claimed:
        return SignupOutcome.ALREADY_USED
    account = pending.account
    try:
        with transaction.atomic():
            user = User.objects.create(
                email=pending.email,
                password=pending.password,
                first_name=account.first_name,
                last_name=account.last_name,
                is_active=True,
                activated_at=now,
            )
    except IntegrityError:  # the same email signed up at the same instant
        transaction.set_rollback(True)
        return SignupOutcome.LOGIN_EXISTS
    account_access_grant(user=user, account=account)
    return SignupOutcome.ACTIVATED


def _other_logins_tell(*, user: User, account, authority, template: str, context: dict) -> None:
    """A household may share an account, but each of its logins must know who else sees
    it: the account's other active logins get `template`."""
    others = (
        AccountAccess.objects.filter(account=account, user__is_active=True)
        .exclude(user=user)
        .select_related("user")
    )
    for other in others:
        mail_enqueue(
            to=other.user.email,
            template=template,
            context={"account": account, **context},
            authority=authority,
        )


def _account_shared_notify(*, user: User, account, authority) -> None:
    _other_logins_tell(
        user=user,
        account=account,
        authority=authority,
        template="account_shared",
        context={"new_email": user.email},
    )


@transaction.atomic
def user_activate(*, user: User) -> bool:
    """Opens the login (an agent's, once his password is chosen): True the first time,
    False when already active (a second click). The other logins that already reach the
    same accounts are told by email."""
    activated = User.objects.filter(pk=user.pk, is_active=False).update(
        is_active=True, activated_at=timezone.now()
    )
    if not activated:
        return False
    accesses = AccountAccess.objects.filter(user=user).select_related("account", "authority")
    for access in accesses:
        _account_shared_notify(user=user, account=access.account, authority=access.authority)
    return True


@transaction.atomic
def opening_request_submit(
    *,
    authority,
    commune,
    postal_code: str,
    email: str,
    password: str,
    data: dict,
    proof,
    proof_content_type: str,
) -> AccountOpeningRequest | None:
    """Stores « Demande d'ouverture de mon compte » with its proof, the email and the
    password's hash, and sends the link that confirms the email; the request reaches the
    agents (and gets its login) once it is followed. For an address that already has a
    login nothing is stored and its owner gets an email saying what to do; the screen
    answers the same either way. None then."""
    email = User.objects.normalize_email(email.strip())
    # Hashed before knowing whether the address is known: both answers take the same time.
    password_hash = make_password(password)
    if _login_exists(email):
        _login_exists_notice(authority=authority, email=email, template="opening_existing")
        return None
    opening = AccountOpeningRequest.objects.create(
        authority=authority,
        email=email,
        password=password_hash,
        commune=commune,
        postal_code=postal_code,
        # Stored under our name, never the uploader's.
        proof=File(proof, name=f"justificatif{_extension(proof_content_type)}"),
        proof_content_type=proof_content_type,
        cgu_accepted_at=timezone.now(),
        **data,
    )
    confirm_url = reverse(
        "accounts:opening_confirm", args=[authority.slug, opening_confirm_token(opening.pk)]
    )
    mail_enqueue(
        to=email,
        template="opening_confirm",
        context={"confirm_url": confirm_url, "opening": opening},
        authority=authority,
    )
    return opening


def _extension(content_type: str) -> str:
    return {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}.get(
        content_type, ""
    )


class OpeningConfirmOutcome(enum.Enum):
    CONFIRMED = "confirmed"  # the request now waits for an agent, with its inactive login
    ALREADY_CONFIRMED = "already_confirmed"  # a second click, or the request was decided
    LOGIN_EXISTS = "login_exists"  # a login took this email since: nothing changed


@transaction.atomic
def opening_request_confirm_email(*, opening: AccountOpeningRequest) -> OpeningConfirmOutcome:
    """The email is confirmed: the request's login is created (inactive until an agent
    accepts) with the password chosen in the form, and the request now waits for an agent.
    If a login with this email exists by now, nothing changes: an anonymous form never
    touches an existing login. The owner of the address, proven now, drops the other
    requests of this address that were never confirmed (a person who started over)."""
    if opening.status != OpeningStatus.EMAIL_PENDING:
        return OpeningConfirmOutcome.ALREADY_CONFIRMED
    if _login_exists(opening.email):
        return OpeningConfirmOutcome.LOGIN_EXISTS
    now = timezone.now()
    confirmed = AccountOpeningRequest.objects.filter(
        pk=opening.pk, status=OpeningStatus.EMAIL_PENDING
    ).update(status=OpeningStatus.PENDING, email_confirmed_at=now, updated_at=now)
    if not confirmed:
        return OpeningConfirmOutcome.ALREADY_CONFIRMED
    try:
        with transaction.atomic():
            user = User.objects.create(
                email=opening.email,
                password=opening.password,
                first_name=opening.first_name,
                last_name=opening.last_name,
                is_active=False,
            )
    except IntegrityError:  # a login with this email was created at the same instant
        transaction.set_rollback(True)
        return OpeningConfirmOutcome.LOGIN_EXISTS
    # The hash now lives on the login only.
    AccountOpeningRequest.objects.filter(pk=opening.pk).update(user=user, password="")
    opening.user, opening.password, opening.status = user, "", OpeningStatus.PENDING
    others = AccountOpeningRequest.objects.filter(
        email__iexact=opening.email, status=OpeningStatus.EMAIL_PENDING
    ).exclude(pk=opening.pk)
    for other in others:
        other.proof.delete(save=False)
        other.delete()
    mail_enqueue(
        to=opening.email,
        template="opening_received",
        context={"opening": opening},
        authority=opening.authority,
    )
    return OpeningConfirmOutcome.CONFIRMED


@transaction.atomic
def account_access_grant(*, user: User, account, by: User | None = None) -> bool:
    """The one grant of a login's access to an account: the resident's association
    (flow 12), his sign-up, an agent linking an opening request. The account's other
    logins are told; audited when an agent (`by`) acts. False if the login had it."""
    _access, created = AccountAccess.objects.get_or_create(
        user=user, account=account, defaults={"authority_id": account.authority_id}
    )
    if not created:
        return False
    if user.is_active:
        _account_shared_notify(user=user, account=account, authority=account.authority)
    if by is not None:
        audit_write(
            authority=account.authority,
            actor=by,
            action="account.associate",
            obj=account,
            after={"login": user.email},
        )
    return True


@transaction.atomic
def account_access_revoke(*, user: User, account, by: User | None = None) -> bool:
    """The one revoke of a login's access to an account, by the resident (« Dissocier »)
    or by an agent; the login and the account stay. The account's other logins are told;
    audited when an agent (`by`) acts. False if the login had no access."""
    deleted, _ = AccountAccess.objects.filter(
        user=user, account=account, authority_id=account.authority_id
    ).delete()
    if not deleted:
        return False
    _other_logins_tell(
        user=user,
        account=account,
        authority=account.authority,
        template="account_unshared",
        context={"removed_email": user.email},
    )
    if by is not None:
        audit_write(
            authority=account.authority,
            actor=by,
            action="account.dissociate",
            obj=account,
            before={"login": user.email},
            after={},
        )
    return True


@transaction.atomic
def account_data_choices_update(
    *, account, objects_to_other_uses: bool, refuses_automated_erasure: bool
) -> None:
    """« Modifier mes choix »: the two data-processing choices, with their date."""
    account.objects_to_other_uses = objects_to_other_uses
    account.refuses_automated_erasure = refuses_automated_erasure
    account.data_choices_updated_at = timezone.now()
    account.save(
        update_fields=[
            "objects_to_other_uses",
            "refuses_automated_erasure",
            "data_choices_updated_at",
            "updated_at",
        ]
    )
