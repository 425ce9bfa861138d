from django.db.models import QuerySet

from levee.subscribers.models import Account

from .models import AccountAccess, User


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
