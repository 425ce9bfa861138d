"""The built-in imitation of FranceConnect and ProConnect, for the embedded demo only
(IDENTITY_SIMULATION, refused outside it by levee.lib.checks): its pages, marked
« Simulation », stand for the provider's (choose one of two test identities, or cancel; the
end of session), and its back channel (token, userinfo, keys) is answered in the process, so
that a demo served by one worker never waits on itself. It signs real ES256 tokens with a
key of its own, kept in the shared cache, and Levée checks them exactly as it checks the
real providers' (levee/identity/oidc.py). Nobody is really identified: never in production."""

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from joserfc import jwk, jwt

from .models import Provider

CLIENT_ID = "levee-simulation"
KEY_CACHE = "identity:simulation:key"
CODE_SECONDS = 120
TOKEN_SECONDS = 300


@dataclass(frozen=True)
class TestIdentity:
    key: str
    sub: str
    given_name: str
    family_name: str
    email: str
    note: str  # what the demo shows with it (on the imitation's page and in the README)


# Two test identities per provider, like the real integration environments'.
IDENTITIES = {
    Provider.FRANCECONNECT: (
        TestIdentity(
            "marie",
            "simulation-fc-0001-marie-martin",
            "Marie",
            "Martin",
            "marie.martin@example.org",
            "la résidente de la démonstration (MARTIN Marie) : à lier depuis « Mon profil » "
            "ou avec son mot de passe",
        ),
        TestIdentity(
            "pierre",
            "simulation-fc-0002-pierre-dupont",
            "Pierre",
            "Dupont",
            "pierre.dupont@example.org",
            "le titulaire du compte 00001 sans espace (DUPONT Pierre) : « Je crée mon espace » "
            "avec ses références",
        ),
    ),
    Provider.PROCONNECT: (
        TestIdentity(
            "claire",
            "simulation-pc-0001-claire-verhaeghe",
            "Claire",
            "Verhaeghe",
            "agent.flandre@example.org",
            "l'agent de la CCFI de la démonstration",
        ),
        TestIdentity(
            "inconnu",
            "simulation-pc-0002-jean-inconnu",
            "Jean",
            "Inconnu",
            "jean.inconnu@mairie.example.org",
            "un agent public qu'aucune collectivité de Levée ne connaît",
        ),
    ),
}


def identities(name: str) -> tuple[TestIdentity, ...]:
    return IDENTITIES.get(name, ())


def identity_get(name: str, key: str) -> TestIdentity | None:
    return next((i for i in identities(name) if i.key == key), None)


def client_secret() -> str:
    return hmac.new(
        settings.SECRET_KEY.encode(), b"identity-simulation", hashlib.sha256
    ).hexdigest()


def issuer(name: str) -> str:
    return f"{settings.SITE_URL}/simulation/{name}"


def metadata(name: str) -> dict:
    """The discovery document; the browser's endpoints are paths of the site serving the
    page, wherever it runs."""
    return {
        "issuer": issuer(name),
        "authorization_endpoint": f"/simulation/{name}/autoriser/",
        "end_session_endpoint": f"/simulation/{name}/deconnexion/",
        "token_endpoint": "(in process)",
        "userinfo_endpoint": "(in process)",
        "jwks_uri": "(in process)",
        "id_token_signing_alg_values_supported": ["ES256"],
        "userinfo_signing_alg_values_supported": ["ES256"],
    }


def _private_key() -> jwk.ECKey:
    """One signing key for every process of the demo (the cache is shared)."""
    data = cache.get(KEY_CACHE)
    if data is None:
        generated = jwk.ECKey.generate_key("P-256", {"kid": secrets.token_hex(8)}, private=True)
        cache.add(KEY_CACHE, generated.as_dict(private=True), None)
        data = cache.get(KEY_CACHE) or generated.as_dict(private=True)
    return jwk.ECKey.import_key(data)


def jwks() -> dict:
    return {"keys": [_private_key().as_dict(private=False)]}


def _sign(claims: dict) -> str:
    key = _private_key()
    return jwt.encode({"alg": "ES256", "kid": key.kid}, claims, key)


def code_issue(
    name: str, *, identity: TestIdentity, client_id: str, redirect_uri: str, nonce: str, acr: str
) -> str:
    """« Continuer » on the imitation's page: a one-time code for that identity."""
    code = secrets.token_urlsafe(24)
    cache.set(
        f"identity:simulation:code:{code}",
        {
            "provider": name,
            "identity": identity.key,
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "nonce": nonce,
            "acr": acr,
        },
        CODE_SECONDS,
    )
    return code


def token(name: str, *, code: str, client_id: str, redirect_uri: str) -> dict:
    """The token endpoint: the code is good once, for the client and redirect it was for."""
    key = f"identity:simulation:code:{code}"
    grant = cache.get(key)
    cache.delete(key)
    if (
        not grant
        or grant["provider"] != name
        or grant["client_id"] != client_id
        or grant["redirect_uri"] != redirect_uri
    ):
        return {"error": "invalid_grant"}
    identity = identity_get(name, grant["identity"])
    now = int(time.time())
    claims = {
        "iss": issuer(name),
        "aud": client_id,
        "sub": identity.sub,
        "iat": now,
        "exp": now + 60,
        "nonce": grant["nonce"],
        "acr": grant["acr"],
    }
    if name == Provider.PROCONNECT:
        claims["amr"] = ["pwd", "totp", "mfa"]
    access_token = secrets.token_urlsafe(24)
    cache.set(
        f"identity:simulation:access:{access_token}",
        {"provider": name, "identity": identity.key, "client_id": client_id},
        TOKEN_SECONDS,
    )
    return {"access_token": access_token, "token_type": "Bearer", "id_token": _sign(claims)}


def userinfo(name: str, *, access_token: str) -> str:
    """The userinfo endpoint, as a signed JWT (FranceConnect v2 and ProConnect do so)."""
    grant = cache.get(f"identity:simulation:access:{access_token}")
    identity = identity_get(name, grant["identity"]) if grant else None
    if identity is None:
        return ""
    now = int(time.time())
    return _sign(
        {
            "iss": issuer(name),
            "aud": grant["client_id"],
            "iat": now,
            "exp": now + 60,
            "sub": identity.sub,
            "given_name": identity.given_name,
            "family_name": identity.family_name,
            "usual_name": identity.family_name,
            "email": identity.email,
        }
    )


def id_token_valid(name: str, value: str) -> bool:
    """The end of session checks that the ID token given back is one it signed."""
    try:
        claims = jwt.decode(value, _private_key(), ["ES256"]).claims
    except Exception:
        return False
    return claims.get("iss") == issuer(name)
