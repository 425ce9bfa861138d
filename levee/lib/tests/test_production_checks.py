"""Production refuses to start insecure (issue 10, point 8): each test starts Levée in a
subprocess with only the environment a server would set."""

import os
import secrets
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError

from levee.accounts.models import AccountOpeningRequest
from levee.subscribers.models import Account
from testkit import PDF_BYTES

BASE_DIR = Path(__file__).resolve().parents[3]
PRODUCTION_DATABASE = "postgres://levee@127.0.0.1:5432/levee"


def environment(tmp_path, **values) -> dict:
    # Nothing inherited from the test run (DATABASE_URL, SECRET_KEY, DEBUG…).
    env = {key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ}
    env.update(DJANGO_SETTINGS_MODULE="levee.settings", VAR_DIR=str(tmp_path), **values)
    return env


def run(env, *args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_it_refuses_to_run_a_command_without_secret_key_outside_the_demo(tmp_path):
    completed = run(environment(tmp_path, DATABASE_URL=PRODUCTION_DATABASE), "manage.py", "check")

    assert completed.returncode != 0
    assert "levee.E001" in completed.stderr
    assert "SECRET_KEY is not set" in completed.stderr


def test_it_refuses_the_embedded_key_set_by_hand(tmp_path):
    env = environment(
        tmp_path,
        SITE_URL="https://dechets.example.org",
        SECRET_KEY="embedded-only-insecure-key-set-SECRET_KEY-in-production",
    )

    completed = run(env, "manage.py", "check")

    assert completed.returncode != 0 and "levee.E001" in completed.stderr


def test_it_refuses_to_serve_without_secret_key_outside_the_demo(tmp_path):
    # What gunicorn does: import the WSGI application.
    env = environment(tmp_path, DATABASE_URL=PRODUCTION_DATABASE)

    completed = run(env, "-c", "import levee.wsgi")

    assert completed.returncode != 0
    assert "ImproperlyConfigured" in completed.stderr
    assert "SECRET_KEY is not set" in completed.stderr


def test_it_starts_with_a_secret_key(tmp_path):
    env = environment(
        tmp_path, DATABASE_URL=PRODUCTION_DATABASE, SECRET_KEY=secrets.token_urlsafe(64)
    )

    assert run(env, "manage.py", "check").returncode == 0
    completed = run(env, "-c", "import levee.wsgi")
    assert completed.returncode == 0, completed.stderr


def test_the_embedded_demo_starts_with_no_setting(tmp_path):
    env = environment(tmp_path)

    completed = run(env, "manage.py", "check")

    assert completed.returncode == 0, completed.stderr
    assert run(env, "-c", "import levee.wsgi").returncode == 0


def test_a_production_like_environment_passes_the_deploy_checks_with_warnings(tmp_path):
    env = environment(
        tmp_path,
        DATABASE_URL=PRODUCTION_DATABASE,
        SECRET_KEY=secrets.token_urlsafe(64),
        SITE_URL="https://dechets.example.org",
        ALLOWED_HOSTS="dechets.example.org",
        DEBUG="false",
    )

    completed = run(env, "manage.py", "check", "--deploy", "--fail-level", "WARNING")

    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_hsts_preload_is_sent_only_when_asked_for(tmp_path):
    env = environment(
        tmp_path,
        SECRET_KEY=secrets.token_urlsafe(64),
        SITE_URL="https://dechets.example.org",
    )
    show = "from django.conf import settings; print(settings.SECURE_HSTS_PRELOAD)"

    assert run(env, "-c", _django(show)).stdout == "False\n"
    env["SECURE_HSTS_PRELOAD"] = "true"
    assert run(env, "-c", _django(show)).stdout == "True\n"
    # Asked for, nothing is silenced: the deploy checks stay clean because it is set.
    completed = run(
        env | {"ALLOWED_HOSTS": "dechets.example.org"},
        "manage.py",
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr


def _django(code: str) -> str:
    return f"import django; django.setup(); {code}"


@pytest.mark.django_db
def test_demo_load_refuses_a_database_that_is_not_the_embedded_one(settings):
    settings.EMBEDDED = False

    with pytest.raises(CommandError, match="--force"):
        call_command("demo_load")

    assert not Account.objects.exists()


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_stored_proof_is_readable_by_the_service_user_only(settings):
    storage = AccountOpeningRequest._meta.get_field("proof").storage

    name = storage.save("proofs/2026/01/facture.pdf", ContentFile(PDF_BYTES))

    assert mode(storage.path(name)) == 0o600
    assert mode(Path(storage.path(name)).parent) == 0o700
    assert mode(settings.PRIVATE_ROOT / "proofs") == 0o700


def test_a_public_upload_is_readable_by_the_service_user_only(settings):
    name = default_storage.save("logos/logo.png", ContentFile(b"\x89PNG"))

    assert mode(default_storage.path(name)) == 0o600
    assert mode(settings.MEDIA_ROOT / "logos") == 0o700
