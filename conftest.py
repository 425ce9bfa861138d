"""Fixtures shared by the whole suite: private storage in a temporary folder, the demo
cast, and Chromium driven by Playwright (Debian's binary, never a download)."""

import json
import os
import shutil

import pytest
from django.conf import settings as django_settings

os.environ.setdefault(
    "DJANGO_ALLOW_ASYNC_UNSAFE", "true"
)  # Playwright's sync API runs an event loop

try:
    from hypothesis import settings as hypothesis_settings

    hypothesis_settings.register_profile("ci", max_examples=30, deadline=None)
    hypothesis_settings.register_profile("dev", max_examples=100, deadline=None)
    hypothesis_settings.load_profile("ci" if os.environ.get("CI") else "dev")
except ImportError:  # pragma: no cover
    pass


@pytest.fixture(autouse=True)
def _isolated_files(settings, tmp_path_factory):
    root = tmp_path_factory.mktemp("files")
    settings.MEDIA_ROOT = root / "media"
    settings.PRIVATE_ROOT = root / "private"
    storages = dict(django_settings.STORAGES)
    storages["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    settings.STORAGES = storages
    settings.ALTCHA_MAX_NUMBER = 2000  # cheap proof of work in tests
    # Argon2 stays the hasher, with the lowest cost, so the suite is fast but real.
    settings.PASSWORD_HASHERS = ["levee.accounts.hashers.FastArgon2PasswordHasher"]


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "browser" in item.fixturenames or "page" in item.fixturenames:
            item.add_marker(pytest.mark.browser)
    # Tests of PostgreSQL's own behaviour (row locks between real transactions) are
    # deselected on SQLite rather than skipped: CI runs them in its PostgreSQL pass.
    if "postgresql" not in django_settings.DATABASES["default"]["ENGINE"]:
        wanted = [item for item in items if item.get_closest_marker("postgresql") is None]
        if len(wanted) != len(items):
            config.hook.pytest_deselected(items=[i for i in items if i not in wanted])
            items[:] = wanted


def _flush_by_delete() -> None:
    """After each transactional test (the browser tests, the live server's), Django empties
    every table with one TRUNCATE of all of them: on PostgreSQL that makes new files for
    each of some eighty tables and their indexes, 1 to 2 s a test, where DELETE of the few
    rows a test leaves takes a few milliseconds. The tests' flush deletes instead, in one
    transaction (Django's foreign keys are DEFERRABLE INITIALLY DEFERRED, so the order of
    the tables does not matter; the schema has no trigger that DELETE would fire and
    TRUNCATE not). A flush asking to restart the sequences keeps TRUNCATE."""
    from django.db.backends.postgresql.operations import DatabaseOperations

    truncate = DatabaseOperations.sql_flush

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        if reset_sequences:
            return truncate(
                self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
            )
        # The tables are Django's own list, quoted: nothing comes from outside.
        return [f"DELETE FROM {self.quote_name(table)};" for table in tables]  # noqa: S608

    DatabaseOperations.sql_flush = sql_flush


if "postgresql" in django_settings.DATABASES["default"]["ENGINE"]:
    _flush_by_delete()


@pytest.fixture(scope="session")
def chromium_browser():
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if not executable:
        pytest.fail("Browser tests need Debian's 'chromium' package (apt-get install chromium).")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
            ],
        )
        yield browser
        browser.close()


# Every page reports what its Content-Security-Policy blocked (an inline style or script, a
# blob: worker…): the browser tests fail on any of them.
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.leveeCspViolation(
    [event.effectiveDirective, event.blockedURI, event.sourceFile + ":" + event.lineNumber,
     event.sample, document.location.pathname].join(" | ")
  );
});
"""


@pytest.fixture
def page(chromium_browser, live_server):
    context = chromium_browser.new_context(base_url=live_server.url, locale="fr-FR")
    context.set_default_timeout(15_000)
    violations = []
    context.expose_function("leveeCspViolation", lambda report: violations.append(report))
    context.add_init_script(CSP_LISTENER)
    page = context.new_page()
    yield page
    context.close()
    if violations:
        pytest.fail("Content-Security-Policy violations:\n" + "\n".join(violations))


AXE_OPTIONS = {
    "resultTypes": ["violations"],
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
}


@pytest.fixture
def assert_accessible():
    """Runs axe-core on the current page: no WCAG 2.1 A/AA violation allowed."""
    from axe_playwright_python.base import AxeResults
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    options = json.dumps(AXE_OPTIONS)

    def run(page):
        # axe-core (about 500 kB of script) goes into a document once: a second check of
        # the same page after a click that did not navigate reuses it.
        if not page.evaluate("typeof window.axe === 'object'"):
            page.evaluate(axe.axe_script)
        return AxeResults(page.evaluate(f"axe.run({options})"))

    def check(page):
        from playwright.sync_api import Error

        page.wait_for_load_state("load")
        try:
            results = run(page)
        except Error:
            # A click that navigates may return before the next document replaces the
            # current one: axe then reads a document going away. Check the new one.
            page.wait_for_timeout(200)
            page.wait_for_load_state("load")
            results = run(page)
        assert results.violations_count == 0, f"{page.url}\n{results.generate_report()}"

    return check


@pytest.fixture
def mailbox():
    """The messages sent so far (locmem backend), and the links they carry."""
    import re

    from django.core import mail

    class Mailbox:
        @property
        def messages(self):
            return list(mail.outbox)

        def last_link(self, to: str, contains: str) -> str:
            for message in reversed(mail.outbox):
                if to in message.to:
                    for link in re.findall(r"https?://\S+", message.body):
                        if contains in link:
                            return link
            raise AssertionError(f"no message to {to} with a link containing {contains!r}")

    return Mailbox()


_communes_rows = {}


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The commune reference data, loaded once into the test database (browser tests,
    which flush the database, run last and put it back with the `communes` fixture)."""
    from levee.authorities.models import Commune, CommunePostalCode, Epci
    from levee.authorities.services import communes_load
    from levee.demo.tests.demo_cache import tables_dump

    with django_db_blocker.unblock():
        communes_load()
        tables = [model._meta.db_table for model in (Epci, Commune, CommunePostalCode)]
        _communes_rows.update(tables_dump(tables))


@pytest.fixture
def communes(django_db_setup, transactional_db):
    """The reference communes back in a database flushed by a browser test: what
    `communes_load` writes, restored from the rows it wrote at the start of the run."""
    from levee.demo.tests.demo_cache import tables_restore

    tables_restore(_communes_rows)


@pytest.fixture(scope="session")
def demo_cache_folder(tmp_path_factory):
    """Where the run keeps a copy of the demo per date, shared by pytest-xdist's workers
    (their own temporary folders are under the run's)."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent
    folder = base / "demo-cache"
    folder.mkdir(exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def demo_world(request, django_db_setup, django_db_blocker, tmp_path_factory, demo_cache_folder):
    """The whole demo (communes, authorities, accounts, bins, lifts), put once per test
    module into a transaction rolled back after it: each test runs in a savepoint of it.
    A module sets DEMO_TODAY to load the lifts until a fixed date; the run loads each date
    once (levee/demo/tests/demo_cache.py). Yields the folder of its files (media/,
    private/)."""
    from django.db import transaction

    from levee.demo.tests.demo_cache import demo_restore

    root = tmp_path_factory.mktemp("demo-files")
    with django_db_blocker.unblock(), transaction.atomic():
        demo_restore(
            today=getattr(request.module, "DEMO_TODAY", None),
            shared=demo_cache_folder,
            media_root=root / "media",
            private_root=root / "private",
        )
        yield root
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def _second_factor_as_in_the_demo(settings):
    """The suite runs agents as the embedded demo does (no second factor) whatever the
    database; the tests of levee.twofactor turn it on themselves."""
    settings.TWO_FACTOR_REQUIRED = False
