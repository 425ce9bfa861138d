from levee.accounts.models import AccountAccess


def space_accounts_for_user(user):
    """Every account the person reaches, across authorities, for the account selector."""
    return list(
        AccountAccess.objects.filter(user=user)
        .select_related("account", "authority")
        .order_by("authority__name", "account__code")
    )
