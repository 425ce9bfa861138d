"""The OpenID Connect client of FranceConnect and ProConnect: the authorization-code flow
(authlib's OAuth2Session builds the authorization URL and exchanges the code), the ID token
and the userinfo JWT verified with joserfc against the provider's published keys (signed
ES256 or RS256, decrypted first when the provider encrypts them for us), and every claim
that matters checked: iss, aud, exp, iat, nonce, acr, the same sub in both.

A provider is off unless its client id and issuer are set, or the built-in imitation is on
(IDENTITY_SIMULATION, the embedded demo): then the provider's browser pages are Levée's own
(levee/identity/simulation.py) and its back channel is answered in the process."""

import json
import logging
from dataclasses import dataclass, field
from urllib.parse import urlencode

import requests
from authlib.integrations.requests_client import OAuth2Session
from django.conf import settings
from django.core.cache import cache
from joserfc import jwe, jwk, jwt
from joserfc.errors import JoseError

from .models import Provider

logger = logging.getLogger(__name__)

ALGORITHMS = ["ES256", "RS256"]
# What FranceConnect and ProConnect may encrypt with (key management, then content).
JWE_REGISTRY = jwe.JWERegistry(
    algorithms=["RSA-OAEP", "RSA-OAEP-256", "ECDH-ES", "ECDH-ES+A256KW", "A256GCM", "A128GCM"]
)
TIMEOUT = 10  # seconds, for every call to a provider
METADATA_SECONDS = 3600  # discovery documents and keys are kept this long
CLOCK_LEEWAY = 60  # seconds of clock difference tolerated on exp and iat


class IdentityError(Exception):
    """The provider's answer cannot be trusted or used: nobody is logged in or linked.
    The message is for the logs; the screen says something general in French."""


@dataclass(frozen=True)
class ProviderConfig:
    name: str  # a Provider value
    client_id: str
    client_secret: str
    issuer: str
    scope: str
    acr_values: tuple[str, ...]  # asked, and the only ones accepted
    claims: dict | None = None  # the authorize request's `claims` parameter
    simulated: bool = False
    encryption_key: str = ""  # our private JWK (JSON) when the provider encrypts tokens

    @property
    def label(self) -> str:
        return Provider(self.name).label


@dataclass(frozen=True)
class Identity:
    """What the provider vouches for, once every check passed."""

    provider: str
    sub: str
    given_name: str = ""
    family_name: str = ""
    email: str = ""
    acr: str = ""
    amr: tuple[str, ...] = ()
    id_token: str = field(default="", repr=False)

    def as_session(self) -> dict:
        return {
            "provider": self.provider,
            "sub": self.sub,
            "given_name": self.given_name,
            "family_name": self.family_name,
            "email": self.email,
            "acr": self.acr,
            "amr": list(self.amr),
            "id_token": self.id_token,
        }

    @classmethod
    def from_session(cls, data: dict | None) -> "Identity | None":
        if not data or not data.get("sub") or not data.get("provider"):
            return None
        return cls(
            provider=data["provider"],
            sub=data["sub"],
            given_name=data.get("given_name", ""),
            family_name=data.get("family_name", ""),
            email=data.get("email", ""),
            acr=data.get("acr", ""),
            amr=tuple(data.get("amr") or ()),
            id_token=data.get("id_token", ""),
        )

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()


def _split(value: str) -> tuple[str, ...]:
    return tuple(v for v in value.replace(",", " ").split() if v)


def simulation_allowed() -> bool:
    """The imitation is on, and only where the demo runs (levee.lib.checks refuses it
    elsewhere; this refuses it even if that check was silenced)."""
    return settings.IDENTITY_SIMULATION and (settings.EMBEDDED or settings.DEBUG)


def provider_config(name: str) -> ProviderConfig | None:
    """The provider's settings, the imitation's when it is on and no real one is set, or
    None: the provider is off (its buttons are not shown, its URLs answer 404)."""
    prefix = {Provider.FRANCECONNECT: "FRANCECONNECT", Provider.PROCONNECT: "PROCONNECT"}.get(name)
    if prefix is None:
        return None
    client_id = getattr(settings, f"{prefix}_CLIENT_ID", "")
    issuer = getattr(settings, f"{prefix}_ISSUER", "").rstrip("/")
    common = {
        "name": name,
        "scope": getattr(settings, f"{prefix}_SCOPES"),
        "acr_values": _split(getattr(settings, f"{prefix}_ACR_VALUES", "")),
        # ProConnect says which factors the agent presented (amr) only when asked.
        "claims": {"id_token": {"amr": {"essential": True}}}
        if name == Provider.PROCONNECT
        else None,
    }
    if client_id and issuer:
        return ProviderConfig(
            client_id=client_id,
            client_secret=getattr(settings, f"{prefix}_CLIENT_SECRET", ""),
            issuer=issuer,
            encryption_key=getattr(settings, f"{prefix}_ENCRYPTION_KEY", ""),
            **common,
        )
    if simulation_allowed():
        from . import simulation

        return ProviderConfig(
            client_id=simulation.CLIENT_ID,
            client_secret=simulation.client_secret(),
            issuer=simulation.issuer(name),
            simulated=True,
            **common,
        )
    return None


def is_enabled(name: str) -> bool:
    return provider_config(name) is not None


# --- The back channel: over HTTP, or in the process for the imitation -------------------


def _get_json(url: str) -> dict:
    try:
        response = requests.get(url, timeout=TIMEOUT)
        response.raise_for_status()
        return response.json()
    except (requests.RequestException, ValueError) as error:
        raise IdentityError(f"{url}: {error}") from error


def metadata(config: ProviderConfig) -> dict:
    """The provider's discovery document (kept an hour)."""
    if config.simulated:
        from . import simulation

        return simulation.metadata(config.name)
    key = f"identity:metadata:{config.issuer}"
    document = cache.get(key)
    if document is None:
        document = _get_json(f"{config.issuer}/.well-known/openid-configuration")
        if document.get("issuer", "").rstrip("/") != config.issuer:
            raise IdentityError(f"discovery document of another issuer: {document.get('issuer')}")
        cache.set(key, document, METADATA_SECONDS)
    return document


def _keys(config: ProviderConfig, *, refresh: bool = False) -> jwk.KeySet:
    """The provider's published signing keys (kept an hour, fetched again once when a
    token names a key not in the copy: the provider rotated its keys)."""
    if config.simulated:
        from . import simulation

        return jwk.KeySet.import_key_set(simulation.jwks())
    uri = metadata(config)["jwks_uri"]
    key = f"identity:jwks:{uri}"
    document = None if refresh else cache.get(key)
    if document is None:
        document = _get_json(uri)
        cache.set(key, document, METADATA_SECONDS)
    try:
        return jwk.KeySet.import_key_set(document)
    except (JoseError, ValueError, TypeError) as error:
        raise IdentityError(f"unreadable keys: {error}") from error


def _session(config: ProviderConfig, redirect_uri: str) -> OAuth2Session:
    return OAuth2Session(
        client_id=config.client_id,
        client_secret=config.client_secret,
        scope=config.scope,
        redirect_uri=redirect_uri,
        token_endpoint_auth_method="client_secret_post",
    )


def authorization_url(config: ProviderConfig, *, redirect_uri: str, state: str, nonce: str) -> str:
    """Where the browser goes to identify itself: the code flow with our `state` and
    `nonce`, the eIDAS level (`acr_values`) and, for FranceConnect, a fresh login."""
    extra = {"nonce": nonce}
    if config.acr_values:
        extra["acr_values"] = " ".join(config.acr_values)
    if config.name == Provider.FRANCECONNECT:
        extra["prompt"] = "login consent"
    if config.claims:
        extra["claims"] = json.dumps(config.claims, separators=(",", ":"))
    url, _ = _session(config, redirect_uri).create_authorization_url(
        metadata(config)["authorization_endpoint"], state=state, **extra
    )
    return url


def _token(config: ProviderConfig, *, code: str, redirect_uri: str) -> dict:
    if config.simulated:
        from . import simulation

        return simulation.token(
            config.name, code=code, client_id=config.client_id, redirect_uri=redirect_uri
        )
    try:
        return dict(
            _session(config, redirect_uri).fetch_token(
                metadata(config)["token_endpoint"],
                grant_type="authorization_code",
                code=code,
                timeout=TIMEOUT,
            )
        )
    except Exception as error:  # authlib raises its own errors and requests' ones
        raise IdentityError(f"token endpoint: {error}") from error


def _userinfo(config: ProviderConfig, *, access_token: str) -> tuple[str, str]:
    """The userinfo answer as (content type, body)."""
    if config.simulated:
        from . import simulation

        return "application/jwt", simulation.userinfo(config.name, access_token=access_token)
    try:
        response = requests.get(
            metadata(config)["userinfo_endpoint"],
            headers={"Authorization": f"Bearer {access_token}"},
            timeout=TIMEOUT,
        )
        response.raise_for_status()
    except requests.RequestException as error:
        raise IdentityError(f"userinfo endpoint: {error}") from error
    return response.headers.get("Content-Type", "").split(";")[0].strip(), response.text


# --- Checking what comes back ----------------------------------------------------------


def _decrypted(config: ProviderConfig, value: str) -> str:
    """A JWE (five parts) is decrypted with our private key into the signed JWT it holds."""
    if value.count(".") != 4:
        return value
    if not config.encryption_key:
        raise IdentityError("encrypted token, but no decryption key is set")
    try:
        key = jwk.import_key(json.loads(config.encryption_key))
        return jwe.decrypt_compact(value, key, registry=JWE_REGISTRY).plaintext.decode()
    except (JoseError, ValueError, TypeError) as error:
        raise IdentityError(f"undecryptable token: {error}") from error


def _verified_claims(config: ProviderConfig, value: str) -> dict:
    """The claims of a JWT whose signature one of the provider's keys verifies."""
    value = _decrypted(config, value)
    for refresh in (False, True):
        try:
            return dict(jwt.decode(value, _keys(config, refresh=refresh), ALGORITHMS).claims)
        except (JoseError, ValueError) as error:
            if refresh or config.simulated:
                raise IdentityError(f"bad signature: {error}") from error
    raise IdentityError("unreachable")  # pragma: no cover


def _check(claims: dict, **options) -> None:
    try:
        jwt.JWTClaimsRegistry(leeway=CLOCK_LEEWAY, **options).validate(claims)
    except JoseError as error:
        raise IdentityError(f"claim refused: {error}") from error


def code_exchange(config: ProviderConfig, *, code: str, redirect_uri: str, nonce: str) -> Identity:
    """The identity behind an authorization code, once the ID token and the userinfo are
    verified: signed by the provider, issued by it to us (iss, aud), not expired, for this
    very request (nonce), at a level we asked (acr), about the same person (sub)."""
    if not code or not nonce:
        raise IdentityError("no code or no nonce")
    answer = _token(config, code=code, redirect_uri=redirect_uri)
    id_token = answer.get("id_token") or ""
    access_token = answer.get("access_token") or ""
    if not id_token or not access_token:
        raise IdentityError("token answer without id_token or access_token")
    claims = _verified_claims(config, id_token)
    _check(
        claims,
        iss={"essential": True, "value": config.issuer},
        aud={"essential": True, "value": config.client_id},
        exp={"essential": True},
        iat={"essential": True},
        sub={"essential": True},
        nonce={"essential": True, "value": nonce},
    )
    if isinstance(claims.get("aud"), list) and len(claims["aud"]) > 1:
        if claims.get("azp") != config.client_id:
            raise IdentityError("several audiences and another authorized party")
    if config.acr_values and claims.get("acr") not in config.acr_values:
        raise IdentityError(f"acr {claims.get('acr')!r} not among {config.acr_values}")
    content_type, body = _userinfo(config, access_token=access_token)
    if content_type == "application/jwt":
        info = _verified_claims(config, body.strip())
        _check(
            info,
            iss={"essential": False, "value": config.issuer},
            aud={"essential": False, "value": config.client_id},
        )
    else:
        try:
            info = json.loads(body)
        except ValueError as error:
            raise IdentityError("unreadable userinfo") from error
    if info.get("sub") != claims["sub"]:
        raise IdentityError("userinfo about another subject")
    amr = claims.get("amr") or ()
    return Identity(
        provider=config.name,
        sub=str(claims["sub"]),
        given_name=str(info.get("given_name") or ""),
        family_name=str(info.get("family_name") or info.get("usual_name") or ""),
        email=str(info.get("email") or ""),
        acr=str(claims.get("acr") or ""),
        amr=tuple(str(a) for a in amr) if isinstance(amr, list) else (),
        id_token=id_token,
    )


def logout_url(
    config: ProviderConfig, *, id_token: str, state: str, post_logout_redirect_uri: str
) -> str | None:
    """The provider's end of session, with the ID token it gave (`id_token_hint`), or None
    when it publishes none."""
    try:
        endpoint = metadata(config).get("end_session_endpoint")
    except IdentityError as error:
        logger.warning("identity: no logout at %s: %s", config.name, error)
        return None
    if not endpoint or not id_token:
        return None
    query = urlencode(
        {
            "id_token_hint": id_token,
            "state": state,
            "post_logout_redirect_uri": post_logout_redirect_uri,
        }
    )
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"
