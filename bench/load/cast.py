"""Who the load dataset's people are: what `build.py` writes and `locustfile.py` logs in
with (no database needed to know it). Standard library only, so that Locust can import it."""

import hashlib
import hmac
import struct
import time

PASSWORD = "Charge2essai@"  # every generated login's password (residents and agents)
AUTHORITIES = (
    # slug, code, name, share of the accounts
    ("charge-nord", "00901", "Syndicat de charge du Nord", 0.6),
    ("charge-sud", "00902", "Communauté de charge du Sud", 0.4),
)
LETTERS = ("a", "b")
AGENTS_PER_AUTHORITY = 10


def resident_email(letter: str, n: int) -> str:
    """The login of account n (1…) of authority `letter` (« a », « b »)."""
    return f"usager.{letter}{n:06d}@load.example.org"


def agent_email(letter: str, n: int) -> str:
    return f"agent{n:02d}.{letter}@load.example.org"


def agent_totp_key(letter: str, n: int) -> str:
    """The agent's TOTP secret as django-otp stores it: 20 bytes, in hex."""
    return hashlib.sha1(f"levee-load-agent/{letter}/{n}".encode()).hexdigest()


def totp(key_hex: str, *, at: float | None = None, step: int = 30, digits: int = 6) -> str:
    """RFC 6238 (HMAC-SHA1, the dynamic truncation of RFC 4226), as an authenticator app."""
    counter = int((time.time() if at is None else at) // step)
    digest = hmac.new(bytes.fromhex(key_hex), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    code = (struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 10**digits
    return f"{code:0{digits}d}"
