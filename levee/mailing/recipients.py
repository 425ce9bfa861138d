"""Who receives an account's emails (an invoice, a receipt, an alert): the account's own
email, else the email of each active login that reaches it."""

from collections.abc import Iterable

from levee.accounts.models import AccountAccess
from levee.subscribers.models import Account


def account_recipients(account_ids: Iterable[int]) -> dict[int, list[str]]:
    """account pk → the addresses to write to (empty when nobody can be reached)."""
    ids = list(dict.fromkeys(account_ids))
    result: dict[int, list[str]] = {pk: [] for pk in ids}
    for pk, email in Account.objects.filter(pk__in=ids).values_list("pk", "email"):
        if email:
            result[pk] = [email]
    missing = [pk for pk, emails in result.items() if not emails]
    if missing:
        for account_id, email in (
            AccountAccess.objects.filter(account_id__in=missing, user__is_active=True)
            .order_by("pk")
            .values_list("account_id", "user__email")
        ):
            if email and email not in result[account_id]:
                result[account_id].append(email)
    return result
