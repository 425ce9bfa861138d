"""Writes of the accounts domain: sign-up with references (seed 004), opening requests
(seed 000), activation. Every email goes through the outbox in the same transaction."""

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from levee.mailing.services import mail_enqueue

from .models import AccountAccess, AccountOpeningRequest, OpeningStatus, User
from .tokens import activation_token, encode_uid, opening_confirm_token


class EmailAlreadyUsed(Exception):
    pass


def _pending_user(*, email: str, password: str, first_name: str = "", last_name: str = "") -> User:
    """A new inactive login, or the same inactive one again (a person who signs up twice
    before following the link); an active login with this email is refused."""
    existing = User.objects.select_for_update().filter(email__iexact=email).first()
    if existing is not None and existing.is_active:
        raise EmailAlreadyUsed(email)
    user = existing or User(email=email)
    user.first_name = first_name or user.first_name
    user.last_name = last_name or user.last_name
    user.set_password(password)
    user.save()
    return user


def _activation_url(user: User, authority) -> str:
    return reverse(
        "accounts:activate",
        args=[authority.slug, encode_uid(user.pk), activation_token.make_token(user)],
    )


@transaction.atomic
def signup_with_references(*, authority, account, email: str, password: str) -> User:
    """Creates the inactive login, links it to the account found by its references, and
    sends the activation link."""
    user = _pending_user(
        email=email, password=password, first_name=account.first_name, last_name=account.last_name
    )
    AccountAccess.objects.get_or_create(
        user=user, account=account, defaults={"authority": authority}
    )
    mail_enqueue(
        to=user.email,
        template="activation",
        context={"activation_url": _activation_url(user, authority), "account": account},
        authority=authority,
    )
    return user


@transaction.atomic
def activation_resend(*, authority, user: User) -> None:
    if user.is_active:
        return
    mail_enqueue(
        to=user.email,
        template="activation",
        context={"activation_url": _activation_url(user, authority), "account": None},
        authority=authority,
    )


@transaction.atomic
def user_activate(*, user: User) -> bool:
    """Opens the space: True the first time, False when already active (a second click).

    The other logins that already reach the same accounts are told by email: a household
    may share an account, but its holder must know who else sees it."""
    activated = User.objects.filter(pk=user.pk, is_active=False).update(
        is_active=True, activated_at=timezone.now()
    )
    if not activated:
        return False
    accesses = AccountAccess.objects.filter(user=user).select_related("account", "authority")
    for access in accesses:
        others = (
            AccountAccess.objects.filter(account=access.account, user__is_active=True)
            .exclude(user=user)
            .select_related("user")
        )
        for other in others:
            mail_enqueue(
                to=other.user.email,
                template="account_shared",
                context={"account": access.account, "new_email": user.email},
                authority=access.authority,
            )
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
) -> AccountOpeningRequest:
    """Stores « Demande d'ouverture de mon compte » with its proof and sends the link that
    confirms the email; the request reaches the agents once it is followed."""
    user = _pending_user(
        email=email,
        password=password,
        first_name=data.get("first_name", ""),
        last_name=data["last_name"],
    )
    # A person who starts over drops the earlier request that was never confirmed.
    AccountOpeningRequest.objects.filter(user=user, status=OpeningStatus.EMAIL_PENDING).delete()
    opening = AccountOpeningRequest(
        authority=authority,
        user=user,
        commune=commune,
        postal_code=postal_code,
        proof_content_type=proof_content_type,
        cgu_accepted_at=timezone.now(),
        **data,
    )
    opening.proof.save(f"justificatif{_extension(proof_content_type)}", proof, save=False)
    opening.save()
    confirm_url = reverse(
        "accounts:opening_confirm", args=[authority.slug, opening_confirm_token(opening.pk)]
    )
    mail_enqueue(
        to=user.email,
        template="opening_confirm",
        context={"confirm_url": confirm_url, "opening": opening},
        authority=authority,
    )
    return opening


def _extension(content_type: str) -> str:
    return {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}.get(
        content_type, ""
    )


@transaction.atomic
def opening_request_confirm_email(*, opening: AccountOpeningRequest) -> bool:
    """The email is confirmed: the request now waits for an agent. True the first time."""
    confirmed = AccountOpeningRequest.objects.filter(
        pk=opening.pk, status=OpeningStatus.EMAIL_PENDING
    ).update(status=OpeningStatus.PENDING, email_confirmed_at=timezone.now())
    if confirmed:
        mail_enqueue(
            to=opening.user.email,
            template="opening_received",
            context={"opening": opening},
            authority=opening.authority,
        )
    return bool(confirmed)


@transaction.atomic
def account_associate(*, user: User, account) -> bool:
    """Links one more account to the login (flow 12); False if it already was."""
    _access, created = AccountAccess.objects.get_or_create(
        user=user, account=account, defaults={"authority": account.authority}
    )
    if created:
        others = (
            AccountAccess.objects.filter(account=account, user__is_active=True)
            .exclude(user=user)
            .select_related("user")
        )
        for other in others:
            mail_enqueue(
                to=other.user.email,
                template="account_shared",
                context={"account": account, "new_email": user.email},
                authority=account.authority,
            )
    return created


@transaction.atomic
def account_dissociate(*, user: User, account) -> bool:
    """Removes the login's link to an account; the account itself stays."""
    deleted, _ = AccountAccess.objects.filter(
        user=user, account=account, authority=account.authority
    ).delete()
    return bool(deleted)


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
