"""A fake OpenID Connect provider on 127.0.0.1, run by the tests in a thread: discovery,
authorize (straight back with a code and the state), token (a signed ID token), userinfo (a
signed JWT, as FranceConnect v2 and ProConnect answer), keys, logout. Its attributes let a
test spoil one thing at a time: the claims, the signing key, the nonce."""

import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

from joserfc import jwe, jwk, jwt

from levee.identity.oidc import JWE_REGISTRY

CLIENT_ID = "levee-test-client"
CLIENT_SECRET = "levee-test-secret"

MARIE = {"sub": "fc-sub-marie", "given_name": "Marie", "family_name": "Martin",
         "email": "marie.martin@example.org"}  # fmt: skip
PIERRE = {"sub": "fc-sub-pierre", "given_name": "Pierre", "family_name": "Dupont",
          "email": "pierre.dupont@example.org"}  # fmt: skip


class FakeProvider:
    def __init__(self):
        self.key = jwk.ECKey.generate_key("P-256", {"kid": "fake-1"}, private=True)
        self.other_key = jwk.ECKey.generate_key("P-256", {"kid": "fake-1"}, private=True)
        self.identity = dict(MARIE)
        self.acr = "eidas1"
        self.amr = None
        self.claims_override: dict = {}  # merged into the next ID tokens' claims
        self.sign_with_other_key = False
        self.nonce_override: str | None = None
        self.encrypt_for = None  # the client's public key, to encrypt what it signs
        self.codes: dict = {}
        self.logouts: list[dict] = []
        self.authorize_requests: list[dict] = []
        self.token_requests: list[dict] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.issuer = f"http://127.0.0.1:{self.server.server_address[1]}/api/v2"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def reset(self):
        self.identity = dict(MARIE)
        self.acr = "eidas1"
        self.amr = None
        self.claims_override = {}
        self.sign_with_other_key = False
        self.nonce_override = None
        self.encrypt_for = None
        self.logouts.clear()
        self.authorize_requests.clear()
        self.token_requests.clear()

    def sign(self, claims: dict) -> str:
        key = self.other_key if self.sign_with_other_key else self.key
        signed = jwt.encode({"alg": "ES256", "kid": "fake-1"}, claims, key)
        if self.encrypt_for is None:
            return signed
        header = {"alg": "RSA-OAEP-256", "enc": "A256GCM", "cty": "JWT"}
        return jwe.encrypt_compact(header, signed, self.encrypt_for, registry=JWE_REGISTRY)

    def metadata(self) -> dict:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "userinfo_endpoint": f"{self.issuer}/userinfo",
            "jwks_uri": f"{self.issuer}/jwks",
            "end_session_endpoint": f"{self.issuer}/session/end",
            "id_token_signing_alg_values_supported": ["ES256"],
        }

    def _handler(self):
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, status, body=b"", content_type="application/json", headers=None):
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                url = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                path = url.path.removeprefix("/api/v2")
                if path == "/.well-known/openid-configuration":
                    return self._send(200, json.dumps(provider.metadata()).encode())
                if path == "/jwks":
                    keys = {"keys": [provider.key.as_dict(private=False)]}
                    return self._send(200, json.dumps(keys).encode())
                if path == "/authorize":
                    provider.authorize_requests.append(query)
                    code = secrets.token_urlsafe(16)
                    provider.codes[code] = {**query, "identity": dict(provider.identity)}
                    back = (
                        query["redirect_uri"]
                        + "?"
                        + urlencode({"code": code, "state": query["state"]})
                    )
                    return self._send(302, headers={"Location": back})
                if path == "/userinfo":
                    token = self.headers.get("Authorization", "").removeprefix("Bearer ")
                    grant = provider.codes.get(f"access:{token}")
                    if grant is None:
                        return self._send(401, b'{"error":"invalid_token"}')
                    now = int(time.time())
                    claims = {"iss": provider.issuer, "aud": CLIENT_ID, "iat": now,
                              "exp": now + 60, **grant["identity"]}  # fmt: skip
                    return self._send(200, provider.sign(claims).encode(), "application/jwt")
                if path == "/session/end":
                    provider.logouts.append(query)
                    back = (
                        query["post_logout_redirect_uri"]
                        + "?"
                        + urlencode({"state": query.get("state", "")})
                    )
                    return self._send(302, headers={"Location": back})
                return self._send(404, b"{}")

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                if urlsplit(self.path).path.removeprefix("/api/v2") != "/token":
                    return self._send(404, b"{}")
                provider.token_requests.append(form)
                grant = provider.codes.pop(form.get("code", ""), None)
                if (
                    grant is None
                    or form.get("client_id") != CLIENT_ID
                    or form.get("client_secret") != CLIENT_SECRET
                    or form.get("redirect_uri") != grant["redirect_uri"]
                ):
                    return self._send(400, b'{"error":"invalid_grant"}')
                now = int(time.time())
                claims = {
                    "iss": provider.issuer,
                    "aud": CLIENT_ID,
                    "sub": grant["identity"]["sub"],
                    "iat": now,
                    "exp": now + 60,
                    "nonce": provider.nonce_override or grant.get("nonce", ""),
                    "acr": provider.acr,
                }
                if provider.amr is not None:
                    claims["amr"] = provider.amr
                claims.update(provider.claims_override)
                access = secrets.token_urlsafe(16)
                provider.codes[f"access:{access}"] = grant
                body = {"access_token": access, "token_type": "Bearer", "expires_in": 60,
                        "id_token": provider.sign(claims)}  # fmt: skip
                return self._send(200, json.dumps(body).encode())

        return Handler
