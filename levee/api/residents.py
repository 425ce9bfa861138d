"""The residents' endpoints: what a personal access token's login reaches, read-only.

Each reads through the selectors the space's pages use, so the API shows what « Mes bacs/
levées », « Mes factures », « Suivi de mes demandes » and the home show."""

from ninja import Router, Schema

from .access import api_accesses
from .auth import TokenAuth
from .errors import Error

router = Router(auth=TokenAuth(), tags=["Usager / Resident"])

ERRORS = {401: Error, 429: Error}
ERRORS_404 = {401: Error, 404: Error, 422: Error, 429: Error}


class AuthorityOut(Schema):
    slug: str
    name: str


class AccountOut(Schema):
    id: int
    code: str
    holder: str
    billing_address: str
    authority: AuthorityOut


class MeOut(Schema):
    email: str
    first_name: str
    last_name: str
    token_name: str
    token_expires_at: str | None
    accounts: list[AccountOut]


def _account_out(access) -> dict:
    account = access.account
    return {
        "id": account.pk,
        "code": account.code,
        "holder": account.holder_name,
        "billing_address": account.billing_address_line,
        "authority": {"slug": access.authority.slug, "name": access.authority.name},
    }


@router.get(
    "/me",
    response={200: MeOut, **ERRORS},
    summary="Moi / Me",
    description="FR — L'identifiant du jeton et les comptes usagers qu'il atteint.\n\n"
    "EN — The token's login and the accounts it reaches.",
)
def me(request):
    token = request.auth
    return {
        "email": request.user.email,
        "first_name": request.user.first_name,
        "last_name": request.user.last_name,
        "token_name": token.name,
        "token_expires_at": token.expires_at.isoformat() if token.expires_at else None,
        "accounts": [_account_out(a) for a in api_accesses(request)],
    }


@router.get(
    "/accounts",
    response={200: list[AccountOut], **ERRORS},
    summary="Mes comptes / My accounts",
    description="FR — Les comptes usagers que l'identifiant atteint, toutes collectivités "
    "confondues ; `id` sert aux autres adresses.\n\n"
    "EN — The accounts the login reaches, in every authority; `id` is used by the other "
    "paths.",
)
def accounts(request):
    return [_account_out(a) for a in api_accesses(request)]
