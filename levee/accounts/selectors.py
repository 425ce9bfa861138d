from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db.models import QuerySet
from django.utils import timezone

from levee.subscribers.models import Account

from .models import AccountAccess, AccountOpeningRequest, OpeningStatus, PendingSignup, User


def user_get_by_email(email: str) -> User | None:
    return User.objects.filter(email__iexact=(email or "").strip()).first()


def account_find_by_references(*, authority, name: str, portal_key: str) -> Account | None:
    """The account whose identifiant portail and holder name (case, accents, spaces
    ignored) both match, or None; never says which one was wrong."""
    key = "".join((portal_key or "").split()).upper()
    if not key or len(key) > 20:
        return None
    account = Account.objects.filter(authority=authority, portal_key__iexact=key).first()
    if account is None or not account.matches_name(name):
        return None
    return account


def accesses_for_user(user) -> QuerySet[AccountAccess]:
    return (
        AccountAccess.objects.filter(user=user)
        .select_related("account", "authority")
        .order_by("authority__name", "account__code")
    )


def opening_request_latest(user) -> AccountOpeningRequest | None:
    """The login's latest opening request (what its login page says while it waits)."""
    return user.opening_requests.order_by("-created_at").first()


def access_exists(*, user, account) -> bool:
    return AccountAccess.objects.filter(user=user, account=account).exists()


def access_first(user) -> AccountAccess | None:
    """One access the login keeps (where to go after leaving an account), if any."""
    return AccountAccess.objects.filter(user=user).select_related("authority").first()


def accesses_of_account(account) -> QuerySet[AccountAccess]:
    """The logins that reach an account (its page in the back office), with their user."""
    return AccountAccess.objects.filter(
        account=account, authority_id=account.authority_id
    ).select_related("user")


def waiting_for_link(*, email: str, password: str) -> PendingSignup | AccountOpeningRequest | None:
    """The newest sign-up or opening request of this email still waiting for its link to be
    followed, provided `password` is the one chosen in it; None otherwise. Computes one
    password hash whatever is found, so that nobody learns without the password whether
    something waits for this address."""
    email = (email or "").strip()
    since = timezone.now() - timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT)
    candidates = [
        PendingSignup.objects.filter(
            email__iexact=email, used_at__isnull=True, created_at__gte=since
        )
        .select_related("authority")
        .order_by("-created_at")
        .first(),
        AccountOpeningRequest.objects.filter(
            email__iexact=email, status=OpeningStatus.EMAIL_PENDING, created_at__gte=since
        )
        .order_by("-created_at")
        .first(),
    ]
    candidates = [c for c in candidates if c is not None]
    newest = max(candidates, key=lambda c: c.created_at, default=None)
    if newest is None:
        make_password(password)  # the same work as a check, for an answer in the same time
        return None
    return newest if check_password(password, newest.password) else None
