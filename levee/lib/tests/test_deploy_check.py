import os
import secrets
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[3]


def test_the_production_settings_pass_the_deploy_checks(tmp_path):
    # A clean environment: nothing inherited from the test run (DJANGO_ALLOW_ASYNC_UNSAFE,
    # DEBUG, DATABASE_URL…), only what a production server sets.
    env = {key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ}
    env.update(
        DJANGO_SETTINGS_MODULE="levee.settings",
        SECRET_KEY=secrets.token_urlsafe(64),
        SITE_URL="https://dechets.example.org",
        ALLOWED_HOSTS="dechets.example.org",
        VAR_DIR=str(tmp_path),
    )

    completed = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert completed.returncode == 0, completed.stdout + completed.stderr
