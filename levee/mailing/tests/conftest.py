import socket
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from testkit import make_authority

TEMPLATES_DIR = Path(__file__).parent / "templates"


@pytest.fixture(autouse=True)
def _test_email_templates(settings):
    """emails/welcome_test.* : a message built on the shared layout, for these tests only."""
    templates = [dict(engine) for engine in settings.TEMPLATES]
    templates[0]["DIRS"] = [*templates[0]["DIRS"], TEMPLATES_DIR]
    settings.TEMPLATES = templates


@pytest.fixture
def authority(db):
    return make_authority(primary_color="#1d4e89")


@pytest.fixture
def free_port():
    """A TCP port of 127.0.0.1 where nothing listens (until a test starts a server on it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_settings(settings, free_port):
    """Real SMTP delivery to 127.0.0.1:<free_port>, as in production but without TLS."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    return settings


class CollectingHandler:
    """aiosmtpd handler keeping every message it accepts."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        self.messages.append((envelope.rcpt_tos, message))
        return "250 Message accepted for delivery"


@pytest.fixture
def fake_smtp_server(free_port):
    """Starts, on demand, an SMTP server on the free port; stops it at the end of the test."""
    from aiosmtpd.controller import Controller

    handler = CollectingHandler()
    controllers = []

    def start():
        controller = Controller(handler, hostname="127.0.0.1", port=free_port)
        controller.start()
        controllers.append(controller)
        return handler

    yield start
    for controller in controllers:
        controller.stop()
