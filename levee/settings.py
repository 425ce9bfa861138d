"""Levée's only settings file: every value comes from the environment, with defaults
for the embedded mode (SQLite, mails as files, sandbox payment). See .env.example."""

import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("DEBUG", False)
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))

# The embedded default needs no secret to be set; outside the embedded mode a missing or
# embedded key stops every command and the WSGI start-up (levee.lib.checks).
EMBEDDED_SECRET_KEY = "embedded-only-insecure-key-set-SECRET_KEY-in-production"
SECRET_KEY = os.environ.get("SECRET_KEY") or EMBEDDED_SECRET_KEY

PORT = os.environ.get("PORT", "8000")
SITE_URL = (os.environ.get("SITE_URL") or f"http://127.0.0.1:{PORT}").rstrip("/")

# The platform's host names; "*" first hands the check to AuthorityHostMiddleware (first of
# MIDDLEWARE), which serves these and the authorities' own host names (Authority.host, set in
# the admin) without a restart, and refuses any other.
ALLOWED_HOSTS = [
    "*",
    *(
        h.strip()
        for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")
        if h.strip()
    ),
]
CSRF_TRUSTED_ORIGINS = [SITE_URL]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "csp",
    "levee.lib",
    "levee.authorities",
    "levee.subscribers",
    "levee.accounts",
    "levee.mailing",
    "levee.space",
    "levee.collection",
    "levee.calendars",
    "levee.requests",
    "levee.billing",
    "levee.payments",
    "levee.treasury",
    "levee.audit",
    "levee.agents",
    "levee.backoffice",
    "levee.api",
    "levee.ecocito",
    "levee.twofactor",
    "levee.privacy",
    "levee.identity",
    "levee.integrations",
    "levee.tokens",
    "levee.demo",
]

MIDDLEWARE = [
    "levee.authorities.middleware.AuthorityHostMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "levee.lib.middleware.RejectNullCharactersMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "levee.twofactor.middleware.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "levee.lib.middleware.IdleSessionMiddleware",
    "levee.space.middleware.OnBehalfMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "levee.urls"
WSGI_APPLICATION = "levee.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "levee.lib.context_processors.platform",
            ],
        },
    },
]

# Outside the embedded demo a connection is kept open a minute (a new one per request
# would cost each page about as much as its own work) and checked before each request
# reuses it, so a database restarted meanwhile costs no error page.
_DB_CONN_MAX_AGE = int(
    os.environ.get("DB_CONN_MAX_AGE") or ("60" if os.environ.get("DATABASE_URL") else "0")
)
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'levee.sqlite3'}",
        conn_max_age=_DB_CONN_MAX_AGE,
        conn_health_checks=_DB_CONN_MAX_AGE > 0,
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # WAL and a busy timeout let the web process and a worker share the embedded database.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "levee.accounts.passwords.CharacterClassesValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
]
LOGIN_URL = "accounts:login_platform"
# Activation and reset links stay valid three days.
PASSWORD_RESET_TIMEOUT = 3 * 24 * 3600

SESSION_COOKIE_AGE = 30 * 24 * 3600  # « Rester connecté »: 30 days
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

LANGUAGE_CODE = "fr-fr"
LANGUAGES = [("fr", "Français")]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
# Uploaded proofs live here, outside any URL; a view serves them after an access check.
PRIVATE_ROOT = Path(os.environ.get("PRIVATE_ROOT", VAR_DIR / "private"))
# In the embedded mode Django serves MEDIA_URL itself (public logos only).
SERVE_MEDIA = env_bool("SERVE_MEDIA", DEBUG or not os.environ.get("DATABASE_URL"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG and os.environ.get("STATIC_MANIFEST", "1") == "1"
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = env_bool("WHITENOISE_USE_FINDERS", True)
WHITENOISE_AUTOREFRESH = DEBUG
# Proof files: 5 MB at most; Django keeps an upload of this size in memory.
PROOF_MAX_BYTES = 5 * 1024 * 1024
# Import files (lifts, drop-offs, subscribers): refused above this size, before being read.
IMPORT_MAX_BYTES = int(os.environ.get("IMPORT_MAX_BYTES", str(200 * 1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 6 * 1024 * 1024
# Uploaded files (proofs, logos, imports) are readable by the service's user only.
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "levee_cache",
        }
    }
# Sessions are read at every request: from the shared cache when it is Redis, the
# database keeping them (cached_db: a cache restarted logs nobody out). With the database
# cache a cache read is a query too: the database sessions alone then.
SESSION_ENGINE = (
    "django.contrib.sessions.backends.cached_db"
    if REDIS_URL
    else "django.contrib.sessions.backends.db"
)

TASKS = {
    "default": {
        "BACKEND": os.environ.get(
            "TASKS_BACKEND", "django_tasks.backends.immediate.ImmediateBackend"
        ),
    }
}
# A task of the database backend still running this long after a worker took it is taken
# for dead (its worker killed) and enqueued again by `manage.py periodic`: keep it above the
# longest task (the largest authority's billing run, a rôle with its PDFs).
TASK_LEASE_SECONDS = int(os.environ.get("TASK_LEASE_SECONDS", "3600"))

DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Levée <ne-pas-repondre@levee.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
if os.environ.get("EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = os.environ["EMAIL_HOST"]
    EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", EMAIL_PORT == 587)
    EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", EMAIL_PORT == 465)
    EMAIL_TIMEOUT = 20
else:
    EMAIL_BACKEND = "levee.lib.mail_files.EmailBackend"  # one file per email
    EMAIL_FILE_PATH = Path(os.environ.get("EMAIL_FILE_PATH", VAR_DIR / "mail"))

# ALTCHA proof-of-work: the challenge's maximum number sets the visitor's CPU cost.
ALTCHA_HMAC_KEY = os.environ.get("ALTCHA_HMAC_KEY") or SECRET_KEY
ALTCHA_MAX_NUMBER = int(os.environ.get("ALTCHA_MAX_NUMBER", "50000"))

# Online payment. In the embedded default every authority pays through the sandbox
# gateway (no real payment), whatever its payment settings say.
PAYMENT_SANDBOX_ONLY = env_bool("PAYMENT_SANDBOX_ONLY", not os.environ.get("DATABASE_URL"))
# PayFiP's WSDL; empty: the copy eopayment ships, which names PayFiP's production service.
PAYFIP_WSDL_URL = os.environ.get("PAYFIP_WSDL_URL", "")

# Production hardening, switched on when the site is served over HTTPS.
SECURE = SITE_URL.startswith("https://")
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
# The sandbox gateway marks invoices paid without taking any money: on a site served over
# HTTPS (production) an authority still on it offers no online payment, unless a staging
# site says so.
PAYMENT_SANDBOX_ALLOWED = env_bool("PAYMENT_SANDBOX_ALLOWED", not SECURE)
SECURE_SSL_REDIRECT = SECURE and env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000" if SECURE else "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE
# Asking browsers' preload lists to hard-code HTTPS for the whole domain cannot be undone
# quickly: only when the operator asks for it. Off, check --deploy's reminder is silenced.
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.request": {"level": "ERROR"}},
}

# Paths of the platform that an authority slug may never take.
RESERVED_SLUGS = {
    "admin",
    "securite",
    "backoffice",
    "api",
    "static",
    "media",
    "usager",
    "connexion",
    "deconnexion",
    "compte",
    "comptes",
    "mot-de-passe",
    "communes",
    "commune",
    "espace",
    "activation",
    "healthz",
    "robots.txt",
    "favicon.ico",
    "altcha",
    "mentions-legales",
    "accessibilite",
    "paiement",
    "paiement-test",
    "franceconnect",
    "simulation",
}

# --- Embedded mode ---------------------------------------------------------------------
# The demo and the development loop: SQLite under var/, no https:// site. Outside it
# (a DATABASE_URL or an https:// SITE_URL) production rules apply.
EMBEDDED = not os.environ.get("DATABASE_URL") and not SITE_URL.startswith("https://")

# --- Webhooks (levee.integrations) -----------------------------------------------------
# Plain http:// webhook URLs are refused, except for a receiver on the machine itself
# (127.0.0.1, ::1, localhost) when this is on: the embedded demo and the tests.
WEBHOOK_ALLOW_LOOPBACK_HTTP = env_bool("WEBHOOK_ALLOW_LOOPBACK_HTTP", EMBEDDED)
# Seconds a webhook receiver has to answer before the delivery is retried later.
WEBHOOK_TIMEOUT = float(os.environ.get("WEBHOOK_TIMEOUT", "10"))

# --- Second factor (levee.twofactor) ---------------------------------------------------
# Agents and the operator must enrol and present a TOTP code at each new session; only
# the embedded demo lets them in without it (the back office then says production requires it).
TWO_FACTOR_REQUIRED = env_bool("TWO_FACTOR_REQUIRED", not EMBEDDED)
# The operator's Django admin: its path, or empty to switch it off.
ADMIN_URL = os.environ.get("ADMIN_URL", "admin/")
OTP_TOTP_ISSUER = "Levée"  # the name authenticator apps show
OTP_ADMIN_HIDE_SENSITIVE_DATA = True  # the admin never shows a device's secret key
# The codes are limited by Levée's own throttle (5 wrong codes per login, then a wait the
# page announces): django-otp's silent growing delay would refuse a right code typed just
# after a wrong one as « pas le bon », with no word about waiting.
OTP_TOTP_THROTTLE_FACTOR = 0
OTP_STATIC_THROTTLE_FACTOR = 0
# A code is accepted one 30-s step before or after its time (the device's tolerance), never
# learnt as the phone's drift: a code checked late by an overloaded portal taught devices a
# drift of -2 steps in the load test (bench/RESULTS.md), after which their owners' prompt
# codes were refused the next day. The phones' clocks are set by the network.
OTP_TOTP_SYNC = False

# --- FranceConnect (residents) and ProConnect (agents): levee.identity -----------------
# Each provider is off until its client id and issuer are set (given by the State once the
# Datapass request is accepted; the issuer is the URL before /.well-known/openid-configuration).
FRANCECONNECT_CLIENT_ID = os.environ.get("FRANCECONNECT_CLIENT_ID", "")
FRANCECONNECT_CLIENT_SECRET = os.environ.get("FRANCECONNECT_CLIENT_SECRET", "")
FRANCECONNECT_ISSUER = os.environ.get("FRANCECONNECT_ISSUER", "")
# The eIDAS levels asked and accepted (space-separated): eidas1 is FranceConnect's.
FRANCECONNECT_ACR_VALUES = os.environ.get("FRANCECONNECT_ACR_VALUES", "eidas1")
FRANCECONNECT_SCOPES = os.environ.get("FRANCECONNECT_SCOPES", "openid given_name family_name email")
# Our private key as a JWK (JSON), only where the provider was asked to encrypt its tokens.
FRANCECONNECT_ENCRYPTION_KEY = os.environ.get("FRANCECONNECT_ENCRYPTION_KEY", "")
PROCONNECT_CLIENT_ID = os.environ.get("PROCONNECT_CLIENT_ID", "")
PROCONNECT_CLIENT_SECRET = os.environ.get("PROCONNECT_CLIENT_SECRET", "")
PROCONNECT_ISSUER = os.environ.get("PROCONNECT_ISSUER", "")
PROCONNECT_ACR_VALUES = os.environ.get("PROCONNECT_ACR_VALUES", "eidas1")
PROCONNECT_SCOPES = os.environ.get("PROCONNECT_SCOPES", "openid email given_name usual_name")
PROCONNECT_ENCRYPTION_KEY = os.environ.get("PROCONNECT_ENCRYPTION_KEY", "")
# The built-in imitation of both providers (« Simulation », two test identities each) for
# the embedded demo, where no provider is configured; refused outside it (levee.lib.checks).
IDENTITY_SIMULATION = env_bool("IDENTITY_SIMULATION", EMBEDDED)
# The buttons post to Levée, which redirects to the provider: form-action must let the
# browser go on to the provider's site (its issuer's origin), as for PayFiP below.
IDENTITY_FORM_ORIGINS = sorted(
    {
        f"{urlsplit(url).scheme}://{urlsplit(url).netloc}"
        for url in (FRANCECONNECT_ISSUER, PROCONNECT_ISSUER)
        if urlsplit(url).netloc
    }
)

# --- Content security policy (django-csp 4) and session lifetimes ----------------------
# Every page: scripts, styles and workers from the portal's own static files only (no inline
# <script>, <style> or style="…"); forms post to the portal, or to PayFiP's payment page
# (« Régler » redirects there after its POST, which form-action also governs).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "worker-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "form-action": ["'self'", "https://www.payfip.gouv.fr", *IDENTITY_FORM_ORIGINS],
        "frame-ancestors": ["'none'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
    }
}
# A session ends with the browser, unless « Rester connecté » (SESSION_COOKIE_AGE) was
# ticked; on the server too it ends after this many idle minutes (levee.lib.middleware).
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_IDLE_MINUTES = int(os.environ.get("SESSION_IDLE_MINUTES", str(12 * 60)))
# A session that entered the back office or the admin, remembered or not.
AGENT_SESSION_IDLE_MINUTES = int(os.environ.get("AGENT_SESSION_IDLE_MINUTES", "30"))

# --- Throttling ------------------------------------------------------------------------
# Behind a trusted reverse proxy (BEHIND_PROXY), its X-Forwarded-Proto says whether the
# request came over HTTPS and the address it appends to X-Forwarded-For is the client's
# (levee.lib.throttle.client_ip); without it both headers are ignored, since any client
# can write them.
BEHIND_PROXY = env_bool("BEHIND_PROXY", False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_PROXY else None

# --- Privacy: retention periods (levee.privacy) ----------------------------------------
# How long personal data is kept, in days. The « Données personnelles » page states these
# values and `manage.py periodic` applies them once a day (levee.privacy).
# Proofs of address and request attachments, after the request was handled (decided).
PRIVACY_DOCUMENT_DAYS = int(os.environ.get("PRIVACY_DOCUMENT_DAYS", "365"))
# « Dernières connexions » (when, from which address and browser).
PRIVACY_CONNECTION_DAYS = int(os.environ.get("PRIVACY_CONNECTION_DAYS", "365"))
# Logins never activated, and sign-ups or requests whose email was never confirmed (their
# links expire after three days), unless an agent still has to decide or has invited them.
PRIVACY_UNACTIVATED_DAYS = int(os.environ.get("PRIVACY_UNACTIVATED_DAYS", "7"))
# The bodies of delivered emails (they hold activation and confirmation links).
PRIVACY_OUTBOX_DAYS = int(os.environ.get("PRIVACY_OUTBOX_DAYS", "7"))
